import { groupStats } from '../../../services/stats'
import { routeId } from '../../../utils/api'
import { useKeygate } from '../../../utils/keygate'

export default defineEventHandler(event => groupStats(useKeygate(event).db, routeId(event)))
