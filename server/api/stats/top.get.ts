import { OverviewQuerySchema } from '../../../shared/schemas/logs'
import { top } from '../../services/statsTop'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => top(useKeygate(event).db, validateQuery(event, OverviewQuerySchema)))
