import { RouteQuerySchema } from '../../shared/schemas/route'
import { useKeygate } from '../utils/keygate'
import { validateQuery } from '../utils/validation'

export default defineEventHandler((event) => {
  const q = validateQuery(event, RouteQuerySchema)
  const r = useKeygate(event).engine.explainRoute(q)
  if (!r) throw createError({ statusCode: 404, message: `no proxy key with id ${q.proxyKey}`, data: { code: 'NOT_FOUND' } })
  return r
})
