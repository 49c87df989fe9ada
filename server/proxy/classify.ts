import type { IncomingHttpHeaders } from 'node:http'

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

type Headers = IncomingHttpHeaders | Record<string, string | string[] | undefined>

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/** `Retry-After`: seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, now: number): number | null {
  if (!v) return null
  const s = v.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return now + Math.ceil(Number(s) * 1000)
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : t
}

/** OpenAI's `x-ratelimit-reset-*`: Go-style durations such as `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
export function parseDuration(v: string | undefined): number | null {
  if (!v) return null
  const s = v.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g
  let total = 0, matched = ''
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const n = Number(m[1])
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n
    matched += m[0]
  }
  return matched === s ? Math.ceil(total) : null
}

/** Gemini's RetryInfo `retryDelay` is a protobuf duration: `"37s"`, `"1.5s"`. */
function parseProtoDuration(v: unknown): number | null {
  if (typeof v !== 'string') return null
  const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim())
  return m ? Math.ceil(Number(m[1]) * 1000) : null
}

/** Next midnight in America/Los_Angeles, when Gemini's per-day quotas reset. */
export function nextPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(now))
  const get = (t: string) => Number(parts.find(p => p.type === t)?.value ?? 0)
  const elapsed = ((get('hour') % 24) * 3600 + get('minute') * 60 + get('second')) * 1000 + (now % 1000)
  return now - elapsed + 86_400_000
}

/** The reset time a throttled answer announces, or null when it names none. */
export function resetTimeFrom(headers: Headers, body: unknown, now: number): number | null {
  const retryAfter = parseRetryAfter(first(headers['retry-after']), now)
  if (retryAfter !== null) return retryAfter

  // OpenAI: prefer the limit that ran out; otherwise the later of the two.
  const oa: number[] = []
  for (const kind of ['requests', 'tokens']) {
    const d = parseDuration(first(headers[`x-ratelimit-reset-${kind}`]))
    if (d === null) continue
    if (first(headers[`x-ratelimit-remaining-${kind}`]) === '0') return now + d
    oa.push(now + d)
  }
  if (oa.length) return Math.max(...oa)

  // Anthropic: RFC 3339 times per limit.
  const an: number[] = []
  for (const kind of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    const v = first(headers[`anthropic-ratelimit-${kind}-reset`])
    const t = v ? Date.parse(v) : NaN
    if (Number.isNaN(t)) continue
    if (first(headers[`anthropic-ratelimit-${kind}-remaining`]) === '0') return t
    an.push(t)
  }
  if (an.length) return Math.max(...an)

  return geminiReset(body, now)
}

function geminiReset(body: unknown, now: number): number | null {
  const err = (Array.isArray(body) ? body[0] : body as any)?.error
  const details: any[] = Array.isArray(err?.details) ? err.details : []
  let perDay = false
  let delay: number | null = null
  for (const d of details) {
    const type = String(d?.['@type'] ?? '')
    if (type.endsWith('RetryInfo')) delay = parseProtoDuration(d.retryDelay)
    if (type.endsWith('QuotaFailure') && Array.isArray(d.violations))
      perDay ||= d.violations.some((v: any) => /PerDay/i.test(String(v?.quotaId ?? '')) || /per.?day/i.test(String(v?.quotaMetric ?? '')))
  }
  if (perDay) return nextPacificMidnight(now)
  return delay === null ? null : now + delay
}

const BILLING = /insufficient_quota|billing|credit balance is too low|exceeded your current quota.*billing|account.*(deactivated|suspended)/i
const KEY_INVALID = /API_KEY_INVALID|API key not valid|invalid[_ ]api[_ ]key|incorrect api key/i

export type ClassifyInput = {
  status: number
  headers: Headers
  /** The error body as text (small: error bodies are read whole). */
  bodyText: string
  now: number
  cooldownSeconds: number
  isBanStatus: (status: number) => boolean
}

export function classifyFailure(i: ClassifyInput): Verdict {
  const { status, bodyText } = i
  if (status === 0 || status >= 500) return { kind: 'none' }
  if (i.isBanStatus(status)) return { kind: 'ban' }
  if (BILLING.test(bodyText)) return { kind: 'blame' }
  if (status === 401 || status === 403) return { kind: 'blame' }
  // Gemini answers a bad key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
  if (status === 400 && KEY_INVALID.test(bodyText)) return { kind: 'blame' }
  if (status === 429 || (status === 400 && /RESOURCE_EXHAUSTED/.test(bodyText))) {
    let body: unknown = null
    try { body = JSON.parse(bodyText) } catch {}
    const until = resetTimeFrom(i.headers, body, i.now)
    return { kind: 'cooldown', until: until !== null && until > i.now ? until : i.now + i.cooldownSeconds * 1000 }
  }
  return { kind: 'none' }
}
