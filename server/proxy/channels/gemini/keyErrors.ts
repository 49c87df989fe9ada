import type { KeyErrorRules } from '../types'

const KEY_INVALID = /API_KEY_INVALID|API key not valid/i

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
  // Gemini answers a bad key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
  blamesKey: (status, text) => status === 400 && KEY_INVALID.test(text),
  isThrottled: (status, text) => status === 400 && text.includes('RESOURCE_EXHAUSTED'),
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
