import { SESSION_COOKIE } from '../../services/auth'
import { setSessionCookie, useSessions } from '../../utils/admin'

export default defineEventHandler(async (event) => {
  await useSessions().destroy(getCookie(event, SESSION_COOKIE))
  setSessionCookie(event, '', 0)
  return { authenticated: false }
})
