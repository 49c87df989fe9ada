import { routeId } from '../../utils/api'
import { useKeygate } from '../../utils/keygate'

export default defineEventHandler(event => useKeygate(event).groups.get(routeId(event)))
