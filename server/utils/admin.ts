import type { H3Event } from 'h3'
import { useApp } from '../app'
import { createLoginLimiter, createSessions, SESSION_COOKIE } from '../services/auth'

let sessions: ReturnType<typeof createSessions> | undefined
let limiter: ReturnType<typeof createLoginLimiter> | undefined

export function useSessions() { return (sessions ??= createSessions(useApp().store)) }
export function useLoginLimiter() { return (limiter ??= createLoginLimiter(useApp().store)) }

export function setSessionCookie(event: H3Event, token: string, maxAgeSeconds: number) {
  const secure = getRequestProtocol(event, { xForwardedProto: useApp().config.trustProxy }) === 'https'
  setCookie(event, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: maxAgeSeconds })
}
