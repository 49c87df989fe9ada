import { useApp } from '../../../app'
import { testKey } from '../../../services/keyActions'
import { routeId } from '../../../utils/api'
import { keyValidator } from '../../../utils/keyValidator'

/** Sends the group's validation request with this key; `{ok, status, latencyMs, error}`. */
export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const validate = keyValidator()
  if (!validate) throw createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'key validation is not available in this build', data: { code: 'NOT_AVAILABLE' } })
  const { db, cipher } = useApp()
  return testKey(db, cipher, validate, id)
})
