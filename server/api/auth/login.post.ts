import { useApp } from '../../app'
import { secretsEqual, SESSION_TTL_MS } from '../../services/auth'
import { clientIp } from '../../utils/clientIp'
import { setSessionCookie, useLoginLimiter, useSessions } from '../../utils/admin'
import { LoginSchema } from '../../../shared/schemas/auth'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const { config, authKey } = useApp()
  const ip = clientIp(event, config.trustProxy)
  const limiter = useLoginLimiter()
  const wait = await limiter.retryAfterSeconds(ip)
  if (wait) {
    setResponseHeader(event, 'Retry-After', wait)
    throw createError({ statusCode: 429, message: `Too many failed logins; try again in ${wait}s`, data: { code: 'RATE_LIMITED' } })
  }
  const body = await validateBody(event, LoginSchema)
  if (!secretsEqual(body.authKey, authKey)) {
    await limiter.recordFailure(ip)
    throw createError({ statusCode: 401, message: 'Wrong admin key', data: { code: 'UNAUTHORIZED' } })
  }
  await limiter.reset(ip)
  setSessionCookie(event, await useSessions().create(), SESSION_TTL_MS / 1000)
  return { authenticated: true }
})
