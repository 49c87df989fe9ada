import { rateLimitBucket } from '../../shared/clientIp'
import { bearerToken, fromOwnOrigin, secretsEqual, SESSION_COOKIE } from '../services/auth'
import { clientIp } from '../utils/clientIp'
import { useKeygate } from '../utils/keygate'

const OPEN = new Set(['/api/auth/login'])
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const unauthorized = () => createError({ statusCode: 401, message: 'Sign in with the admin key', data: { code: 'UNAUTHORIZED' } })

/**
 * Every /api route but login needs `Authorization: Bearer <AUTH_KEY>` or the session cookie.
 * A bearer header decides alone, and every wrong key counts against the guessing limits it
 * shares with the login form. A cookie-authorised state-changing call must come from the
 * console's own origin.
 */
export default defineEventHandler(async (event) => {
  const path = event.path.split('?', 1)[0]!
  if (!path.startsWith('/api/') || OPEN.has(path)) return
  const { authKey, sessions, authLimiter, config } = useKeygate(event)
  const token = bearerToken(getRequestHeader(event, 'authorization'))
  if (token !== undefined) {
    if (token === '') throw unauthorized()
    const verdict = await authLimiter.judge(rateLimitBucket(clientIp(event, config.trustProxy)), secretsEqual(token, authKey))
    if (verdict === 'ok') return
    if (verdict === 'limited') {
      setResponseHeader(event, 'Retry-After', authLimiter.retryAfterSeconds)
      throw createError({ statusCode: 429, message: `Too many wrong admin keys; try again in ${authLimiter.retryAfterSeconds}s`, data: { code: 'RATE_LIMITED' } })
    }
    throw unauthorized()
  }
  if (!(await sessions.valid(getCookie(event, SESSION_COOKIE)))) throw unauthorized()
  if (STATE_CHANGING.has(event.method) && !fromOwnOrigin({
    secFetchSite: getRequestHeader(event, 'sec-fetch-site'),
    origin: getRequestHeader(event, 'origin'),
    host: requestHost(event, config.trustProxy),
  })) {
    throw createError({ statusCode: 403, message: 'Cross-origin request refused: the console calls this API from its own origin', data: { code: 'FORBIDDEN' } })
  }
})
