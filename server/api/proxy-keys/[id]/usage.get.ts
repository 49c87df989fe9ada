import { routeId } from '../../../utils/api'
import { useKeygate } from '../../../utils/keygate'

export default defineEventHandler(event => useKeygate(event).consumerKeys.usage(routeId(event)))
