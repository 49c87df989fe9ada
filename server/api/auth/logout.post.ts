import { SESSION_COOKIE } from '../../services/auth'
import { useKeygate } from '../../utils/keygate'
import { setSessionCookie } from '../../utils/sessionCookie'

export default defineEventHandler(async (event) => {
  const { sessions, config } = useKeygate(event)
  await sessions.destroy(getCookie(event, SESSION_COOKIE))
  setSessionCookie(event, '', 0, config.trustProxy)
  return { authenticated: false }
})
