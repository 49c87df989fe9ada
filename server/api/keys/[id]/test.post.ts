import { routeId } from '../../../utils/api'
import { useKeygate } from '../../../utils/keygate'

/** Sends the group's validation request with this key; `{ok, status, latencyMs, error}`. */
export default defineEventHandler(event => useKeygate(event).keys.test(routeId(event)))
