import { first, type KeyErrorRules } from '../types'

const BILLING = /insufficient_quota|billing|exceeded your current quota|account.*(deactivated|suspended)/i
const KEY_INVALID = /invalid[_ ]api[_ ]key|incorrect api key/i

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
  blamesKey: (status, text) => BILLING.test(text) || (status === 400 && KEY_INVALID.test(text)),
  isThrottled: () => false,
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
