import type { KeyErrorRules, ResponseHeaders } from './channels'
import { first } from './channels/types'

/**
 * What a failed attempt means for the key that made it (CONTRACT §2 "Key states"):
 * - `cooldown`: rate limited or out of quota for now; usable again at `until`
 * - `ban`: a status listed in ban_status_codes: invalid at once
 * - `blame`: the key is at fault (401, 403, billing); invalid after blacklist_threshold in a row
 * - `none`: not the key's fault (5xx, network, bad request)
 */
export type Verdict =
  | { kind: 'cooldown'; until: number }
  | { kind: 'ban' }
  | { kind: 'blame' }
  | { kind: 'none' }

/** `Retry-After`: seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, now: number): number | null {
  if (!v) return null
  const s = v.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return now + Math.ceil(Number(s) * 1000)
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : t
}

export type ClassifyInput = {
  status: number
  headers: ResponseHeaders
  /** The error body as text (small: error bodies are read whole). */
  bodyText: string
  now: number
  cooldownSeconds: number
  isBanStatus: (status: number) => boolean
  /** The channel's own signs of a bad key, a throttled one, and when it resets. */
  rules: KeyErrorRules
}

export function classifyFailure(i: ClassifyInput): Verdict {
  const { status, bodyText, rules } = i
  if (status === 0 || status >= 500) return { kind: 'none' }
  if (i.isBanStatus(status)) return { kind: 'ban' }
  if (rules.blamesKey(status, bodyText) || status === 401 || status === 403) return { kind: 'blame' }
  if (status === 429 || rules.isThrottled(status, bodyText)) {
    let body: unknown = null
    try { body = JSON.parse(bodyText) } catch {}
    const until = parseRetryAfter(first(i.headers['retry-after']), i.now) ?? rules.resetTime(i.headers, body, i.now)
    return { kind: 'cooldown', until: until !== null && until > i.now ? until : i.now + i.cooldownSeconds * 1000 }
  }
  return { kind: 'none' }
}
