import { LoginSchema } from '../../../shared/schemas/auth'
import { secretsEqual, SESSION_TTL_MS } from '../../services/auth'
import { clientIp } from '../../utils/clientIp'
import { useKeygate } from '../../utils/keygate'
import { setSessionCookie } from '../../utils/sessionCookie'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const { config, authKey, loginLimiter, sessions } = useKeygate(event)
  const ip = clientIp(event, config.trustProxy)
  const wait = await loginLimiter.retryAfterSeconds(ip)
  if (wait) {
    setResponseHeader(event, 'Retry-After', wait)
    throw createError({ statusCode: 429, message: `Too many failed logins; try again in ${wait}s`, data: { code: 'RATE_LIMITED' } })
  }
  const body = await validateBody(event, LoginSchema)
  if (!secretsEqual(body.authKey, authKey)) {
    await loginLimiter.recordFailure(ip)
    throw createError({ statusCode: 401, message: 'Wrong admin key', data: { code: 'UNAUTHORIZED' } })
  }
  await loginLimiter.reset(ip)
  setSessionCookie(event, await sessions.create(), SESSION_TTL_MS / 1000, config.trustProxy)
  return { authenticated: true }
})
