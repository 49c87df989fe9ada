import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Store } from '../store/types'

export const SESSION_COOKIE = 'keygate_session'
export const SESSION_TTL_MS = 7 * 24 * 3600_000

const sha256 = (s: string) => createHash('sha256').update(s).digest()

/** Constant-time comparison that does not leak the secret's length either. */
export function secretsEqual(given: string, expected: string): boolean {
  // Never true for an empty secret, whatever a misconfiguration lets through.
  return timingSafeEqual(sha256(given), sha256(expected)) && expected.length > 0 && given.length > 0
}

/** Sessions live in the Store (Redis in a cluster), keyed by a hash so a store dump holds no tokens. */
export function createSessions(store: Store) {
  const keyOf = (token: string) => `session:${sha256(token).toString('hex')}`
  return {
    async create(): Promise<string> {
      const token = randomBytes(32).toString('base64url')
      await store.set(keyOf(token), String(Date.now()), SESSION_TTL_MS)
      return token
    },
    async valid(token: string | undefined): Promise<boolean> {
      if (!token || token.length > 200) return false
      return (await store.get(keyOf(token))) !== null
    },
    async destroy(token: string | undefined) {
      if (token) await store.del(keyOf(token))
    },
  }
}

/**
 * Guessing the admin key, through the login form or `Authorization: Bearer`: every wrong key
 * counts against the caller's bucket (an IPv4 address, an IPv6 /64) and against one budget
 * shared by all callers, each over a fixed window that starts at its first failure.
 */
export const AUTH_WINDOW_MS = 60_000
export const AUTH_FAILURES_PER_CLIENT = 10
export const AUTH_FAILURES_GLOBAL = 100

export type AuthVerdict = 'ok' | 'wrong' | 'limited'

/**
 * A wrong key is counted with an atomic increment before the answer is chosen, so a burst of
 * concurrent guesses gets at most the limit of definite answers; past it every guess, the right
 * key included, is `limited`, so the answer never tells a right guess from a wrong one. The right
 * key is admitted only while both counts are under their limits and consumes nothing: a script's
 * parallel calls never trip the limit. One caller stops adding to the global budget once it is
 * past its own limit, so a single address cannot lock everyone out.
 */
export function createAuthLimiter(store: Store) {
  const keyOf = (bucket: string) => `auth-failures:${bucket}`
  const GLOBAL = 'auth-failures:*'
  const blocked = async (bucket: string) => {
    const [mine, all] = await Promise.all([store.get(keyOf(bucket)), store.get(GLOBAL)])
    return Number(mine ?? 0) >= AUTH_FAILURES_PER_CLIENT || Number(all ?? 0) >= AUTH_FAILURES_GLOBAL
  }
  return {
    /** Seconds a refused caller is told to wait (the window; when it started is not stored). */
    retryAfterSeconds: Math.ceil(AUTH_WINDOW_MS / 1000),
    /** Cheap early refusal before reading a login body; `judge` still decides. */
    blocked,
    async judge(bucket: string, correct: boolean): Promise<AuthVerdict> {
      if (correct) return (await blocked(bucket)) ? 'limited' : 'ok'
      if (await store.incr(keyOf(bucket), 1, AUTH_WINDOW_MS) > AUTH_FAILURES_PER_CLIENT) return 'limited'
      return (await store.incr(GLOBAL, 1, AUTH_WINDOW_MS)) > AUTH_FAILURES_GLOBAL ? 'limited' : 'wrong'
    },
  }
}
export type AuthLimiter = ReturnType<typeof createAuthLimiter>

/**
 * The token of an `Authorization: Bearer` header (undefined for any other header). Surrounding
 * whitespace, Unicode spaces included, is not part of it; an empty token must never authenticate.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || !/^bearer /i.test(header)) return undefined
  return header.slice(7).replace(/^\s+|\s+$/g, '')
}

/**
 * Whether a state-changing request authorised by the session cookie comes from the console's
 * own origin. Browsers send `Sec-Fetch-Site` (decisive when present) and `Origin` with every
 * POST/PUT/PATCH/DELETE; SameSite=Strict still lets a sibling subdomain's page through, these do
 * not. A request with neither is refused: no browser sends one, and scripts use the bearer key.
 * Only the host is compared, not the scheme: a TLS-terminating proxy that sends no
 * X-Forwarded-Proto must not lock the console out.
 */
export function fromOwnOrigin(h: { secFetchSite?: string; origin?: string; host?: string }): boolean {
  if (h.secFetchSite) return h.secFetchSite === 'same-origin' || h.secFetchSite === 'none'
  if (!h.origin || !h.host) return false
  try {
    const origin = new URL(h.origin)
    return origin.host === new URL(`${origin.protocol}//${h.host}`).host
  } catch { return false }
}
