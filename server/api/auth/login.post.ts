import { rateLimitBucket } from '../../../shared/clientIp'
import { LoginSchema } from '../../../shared/schemas/auth'
import { secretsEqual, SESSION_TTL_MS } from '../../services/auth'
import { clientIp } from '../../utils/clientIp'
import { useKeygate } from '../../utils/keygate'
import { setSessionCookie } from '../../utils/sessionCookie'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const { config, authKey, authLimiter, sessions } = useKeygate(event)
  const bucket = rateLimitBucket(clientIp(event, config.trustProxy))
  const limited = () => {
    setResponseHeader(event, 'Retry-After', authLimiter.retryAfterSeconds)
    return createError({ statusCode: 429, message: `Too many failed logins; try again in ${authLimiter.retryAfterSeconds}s`, data: { code: 'RATE_LIMITED' } })
  }
  if (await authLimiter.blocked(bucket)) throw limited()
  const body = await validateBody(event, LoginSchema)
  const verdict = await authLimiter.judge(bucket, secretsEqual(body.authKey, authKey))
  if (verdict === 'limited') throw limited()
  if (verdict === 'wrong') throw createError({ statusCode: 401, message: 'Wrong admin key', data: { code: 'UNAUTHORIZED' } })
  setSessionCookie(event, await sessions.create(), SESSION_TTL_MS / 1000, config.trustProxy)
  return { authenticated: true }
})
