import { getLog } from '../../services/logs'
import { useKeygate } from '../../utils/keygate'

export default defineEventHandler(event => getLog(useKeygate(event).db, getRouterParam(event, 'id') ?? ''))
