import { useApp } from '../../app'
import { updateProxyKey } from '../../services/proxyKeys'
import { ProxyKeyPatchSchema } from '../../../shared/schemas/proxyKeys'
import { routeId } from '../../utils/api'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  return updateProxyKey(useApp().db, id, await validateBody(event, ProxyKeyPatchSchema))
})
