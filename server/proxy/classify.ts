import type { KeyErrorRules, ResponseHeaders } from './channels'
import { first } from './channels/types'

/**
 * What a failed attempt means for the key that made it (CONTRACT §2 "Key states"):
 * - `cooldown`: rate limited or out of quota for now; usable again at `until`
 * - `ban`: a status listed in ban_status_codes: invalid at once
 * - `blame`: the provider's structured error names the key or its account (bad key, suspended,
 *   billing), or a 401 came with nothing to read; invalid after blacklist_threshold in a row
 * - `none`: not the key's fault (5xx, network, a refused request, a 403 about a resource)
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

/**
 * A 401 that explains itself names its cause (the client's organisation header, a missing scope);
 * one with nothing to read is how a dead key answers. A 403 with nothing to read is more often a
 * firewall or a region than a key, so it blames nothing.
 */
const blamesUnreadable = (status: number) => status === 401

export function classifyFailure(i: ClassifyInput): Verdict {
  const { status, rules } = i
  if (status === 0 || status >= 500) return { kind: 'none' }
  if (i.isBanStatus(status)) return { kind: 'ban' }
  let body: unknown = null
  try { body = JSON.parse(i.bodyText) } catch {}
  const reading = rules.read(status, body)
  if (reading === 'key' || (reading === 'unstructured' && blamesUnreadable(status))) return { kind: 'blame' }
  if (status === 429 || reading === 'throttled') {
    const until = parseRetryAfter(first(i.headers['retry-after']), i.now) ?? rules.resetTime(i.headers, body, i.now)
    return { kind: 'cooldown', until: until !== null && until > i.now ? until : i.now + i.cooldownSeconds * 1000 }
  }
  return { kind: 'none' }
}

/** Statuses by which an upstream refuses the request itself: malformed, unknown path or method, too large, wrong type. */
const REQUEST_REFUSALS = new Set([400, 404, 405, 413, 415, 422])

/**
 * Whether a refusal is the request's own fault: it goes back to the client at once, whatever
 * failover_status_codes says, since every other key would be refused alike (and a client could
 * otherwise make each of its requests hit several keys).
 */
export const refusesRequest = (status: number, verdict: Verdict): boolean => verdict.kind === 'none' && REQUEST_REFUSALS.has(status)
