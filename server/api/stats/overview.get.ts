import { OverviewQuerySchema } from '../../../shared/schemas/logs'
import { overview } from '../../services/stats'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => overview(useKeygate(event).db, validateQuery(event, OverviewQuerySchema)))
