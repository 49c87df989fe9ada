import { ProxyKeyCreateSchema } from '../../../shared/schemas/proxyKeys'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const input = await validateBody(event, ProxyKeyCreateSchema)
  const created = await useKeygate(event).consumerKeys.create(input)
  setResponseStatus(event, 201)
  return created
})
