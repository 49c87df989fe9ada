import { LogListQuerySchema } from '../../../shared/schemas/logs'
import { listLogs } from '../../services/logs'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => listLogs(useKeygate(event).db, validateQuery(event, LogListQuerySchema)))
