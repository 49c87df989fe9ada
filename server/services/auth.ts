import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Store } from '../store/types'

export const SESSION_COOKIE = 'keygate_session'
export const SESSION_TTL_MS = 7 * 24 * 3600_000
const LOGIN_WINDOW_MS = 60_000
export const LOGIN_MAX_FAILURES = 10

const sha256 = (s: string) => createHash('sha256').update(s).digest()

/** Constant-time comparison that does not leak the secret's length either. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected))
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

/** Failed logins per client IP in a sliding minute; past the limit, how long to wait. */
export function createLoginLimiter(store: Store) {
  const keyOf = (ip: string) => `login-failures:${ip}`
  return {
    async retryAfterSeconds(ip: string): Promise<number> {
      const n = Number((await store.get(keyOf(ip))) ?? 0)
      return n >= LOGIN_MAX_FAILURES ? Math.ceil(LOGIN_WINDOW_MS / 1000) : 0
    },
    async recordFailure(ip: string) { await store.incr(keyOf(ip), 1, LOGIN_WINDOW_MS) },
    async reset(ip: string) { await store.del(keyOf(ip)) },
  }
}
