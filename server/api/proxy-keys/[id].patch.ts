import { ProxyKeyPatchSchema } from '../../../shared/schemas/proxyKeys'
import { routeId } from '../../utils/api'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  return useKeygate(event).consumerKeys.update(id, await validateBody(event, ProxyKeyPatchSchema))
})
