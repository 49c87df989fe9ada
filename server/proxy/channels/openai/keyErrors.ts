import { errorObject, first, type ErrorReading, type KeyErrorRules } from '../types'

/**
 * `error.code` values by which OpenAI blames the key or its account: a bad or revoked key, a
 * deactivated account or organisation, no credit. Not `mismatched_organization` /
 * `mismatched_project` (the client's headers) nor missing scopes or a model's access.
 */
const KEY_CODES = new Set(['invalid_api_key', 'account_deactivated', 'organization_deactivated', 'access_terminated', 'insufficient_quota', 'billing_not_active', 'billing_hard_limit_reached'])
/** `error.type` values that say the same (OpenAI-compatible upstreams use `authentication_error`). */
const KEY_TYPES = new Set(['insufficient_quota', 'billing_not_active', 'authentication_error'])

/** OpenAI's `{"error": {"message", "type", "param", "code"}}` (and every OpenAI-compatible upstream's). */
export function readOpenAiError(_status: number, body: unknown): ErrorReading {
  const e = errorObject(body)
  if (!e) return 'unstructured'
  if (KEY_CODES.has(String(e.code)) || KEY_TYPES.has(String(e.type))) return 'key'
  return 'other'
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

export const openaiKeyErrors: KeyErrorRules = {
  read: readOpenAiError,
  /** The limit that ran out when one did; otherwise the later of the two. */
  resetTime(headers, _body, now) {
    const resets: number[] = []
    for (const kind of ['requests', 'tokens']) {
      const d = parseDuration(first(headers[`x-ratelimit-reset-${kind}`]))
      if (d === null) continue
      if (first(headers[`x-ratelimit-remaining-${kind}`]) === '0') return now + d
      resets.push(now + d)
    }
    return resets.length ? Math.max(...resets) : null
  },
}
