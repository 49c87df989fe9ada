import { secretsEqual, SESSION_COOKIE } from '../services/auth'
import { useKeygate } from '../utils/keygate'

const OPEN = new Set(['/api/auth/login'])

/** Every /api route but login needs the session cookie or `Authorization: Bearer <AUTH_KEY>`. */
export default defineEventHandler(async (event) => {
  const path = event.path.split('?', 1)[0]!
  if (!path.startsWith('/api/') || OPEN.has(path)) return
  const { authKey, sessions } = useKeygate(event)
  const auth = getRequestHeader(event, 'authorization')
  if (auth?.startsWith('Bearer ') && secretsEqual(auth.slice(7).trim(), authKey)) return
  if (await sessions.valid(getCookie(event, SESSION_COOKIE))) return
  throw createError({ statusCode: 401, message: 'Sign in with the admin key', data: { code: 'UNAUTHORIZED' } })
})
