import { useApp } from '../../app'
import { createProxyKey } from '../../services/proxyKeys'
import { ProxyKeyCreateSchema } from '../../../shared/schemas/proxyKeys'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const input = await validateBody(event, ProxyKeyCreateSchema)
  const { db, cipher } = useApp()
  const created = await createProxyKey(db, cipher, input)
  setResponseStatus(event, 201)
  return created
})
