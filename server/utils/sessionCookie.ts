import type { H3Event } from 'h3'
import { SESSION_COOKIE } from '../services/auth'

/** The console's session cookie; `secure` when the caller came over HTTPS (X-Forwarded-Proto only with TRUST_PROXY). */
export function setSessionCookie(event: H3Event, token: string, maxAgeSeconds: number, trustProxy: boolean) {
  const secure = getRequestProtocol(event, { xForwardedProto: trustProxy }) === 'https'
  setCookie(event, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: maxAgeSeconds })
}
