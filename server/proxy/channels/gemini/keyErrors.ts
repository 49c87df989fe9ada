import { errorObject, type KeyErrorRules } from '../types'

/**
 * `google.rpc.ErrorInfo` reasons that make the key unusable from here: invalid or expired, its
 * project suspended, its API or billing disabled, or the key restricted away from this API or
 * this gateway's address. Reasons about the request or a resource are not the key's fault.
 */
const KEY_REASONS = new Set([
  'API_KEY_INVALID', 'API_KEY_EXPIRED', 'CONSUMER_SUSPENDED', 'CONSUMER_INVALID', 'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED', 'API_KEY_IP_ADDRESS_BLOCKED', 'API_KEY_ANDROID_APP_BLOCKED', 'API_KEY_IOS_APP_BLOCKED',
  'SERVICE_DISABLED', 'BILLING_DISABLED',
])

/** Gemini's RetryInfo `retryDelay` is a protobuf duration: `"37s"`, `"1.5s"`. */
function parseProtoDuration(v: unknown): number | null {
  if (typeof v !== 'string') return null
  const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim())
  return m ? Math.ceil(Number(m[1]) * 1000) : null
}

/** Next midnight in America/Los_Angeles, when Gemini's per-day quotas reset. */
export function nextPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(now))
  const get = (t: string) => Number(parts.find(p => p.type === t)?.value ?? 0)
  const elapsed = ((get('hour') % 24) * 3600 + get('minute') * 60 + get('second')) * 1000 + (now % 1000)
  return now - elapsed + 86_400_000
}

type Detail = { '@type'?: unknown; 'retryDelay'?: unknown; 'violations'?: { quotaId?: unknown; quotaMetric?: unknown }[] }

export const geminiKeyErrors: KeyErrorRules = {
  /**
   * Google's `{"error": {"code", "message", "status", "details": [...]}}` (a one-element array of
   * it in the OpenAI mode). A bad key is 400 INVALID_ARGUMENT with ErrorInfo `API_KEY_INVALID`;
   * a quota can come as 400 RESOURCE_EXHAUSTED.
   */
  read(_status, body) {
    const e = errorObject(body)
    if (!e) return 'unstructured'
    const details: unknown[] = Array.isArray(e.details) ? e.details : []
    for (const d of details) {
      const info = d as { '@type'?: unknown; 'reason'?: unknown }
      if (String(info?.['@type'] ?? '').endsWith('google.rpc.ErrorInfo') && KEY_REASONS.has(String(info.reason))) return 'key'
    }
    return e.status === 'RESOURCE_EXHAUSTED' ? 'throttled' : 'other'
  },
  /** RetryInfo's delay, or the next Pacific midnight when a per-day quota ran out. */
  resetTime(_headers, body, now) {
    const err = (Array.isArray(body) ? body[0] : body as { error?: { details?: unknown } } | null)?.error
    const details: Detail[] = Array.isArray(err?.details) ? err.details : []
    let perDay = false
    let delay: number | null = null
    for (const d of details) {
      const type = String(d?.['@type'] ?? '')
      if (type.endsWith('RetryInfo')) delay = parseProtoDuration(d.retryDelay)
      if (type.endsWith('QuotaFailure') && Array.isArray(d.violations))
        perDay ||= d.violations.some(v => /PerDay/i.test(String(v?.quotaId ?? '')) || /per.?day/i.test(String(v?.quotaMetric ?? '')))
    }
    if (perDay) return nextPacificMidnight(now)
    return delay === null ? null : now + delay
  },
}
