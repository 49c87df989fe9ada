import { errorObject, first, type KeyErrorRules } from '../types'

/** `error.type` values that blame the key or its account whatever they say. */
const KEY_TYPES = new Set(['authentication_error', 'billing_error'])
/**
 * Account-level refusals Anthropic sends as `invalid_request_error` (400) or `permission_error`
 * (403), matched as whole messages: a validation error starts with the client's field path
 * (`billing: Extra inputs are not permitted`), so a prefix or a word could be the client's text.
 * `permission_error` otherwise means the key may not use that resource (a model, a beta), which
 * another key may: not the key's fault.
 */
const ACCOUNT_MESSAGES = [
  /^Your credit balance is too low to access the (Anthropic|Claude) API\. Please go to Plans (&|and) Billing to upgrade or purchase credits\.$/,
  /^This organization has been disabled\.$/,
  /^Your account has been disabled\.?$/,
]
const RESET_KINDS = ['requests', 'tokens', 'input-tokens', 'output-tokens']

/** Anthropic's `{"type": "error", "error": {"type", "message"}}`. */
export const anthropicKeyErrors: KeyErrorRules = {
  read(_status, body) {
    const e = errorObject(body)
    if (!e || typeof e.type !== 'string') return 'unstructured'
    if (KEY_TYPES.has(e.type)) return 'key'
    if ((e.type === 'invalid_request_error' || e.type === 'permission_error') && typeof e.message === 'string'
      && ACCOUNT_MESSAGES.some(m => m.test(e.message as string))) return 'key'
    return e.type === 'rate_limit_error' ? 'throttled' : 'other'
  },
  /** `anthropic-ratelimit-*-reset` (RFC 3339): the limit that ran out when one did, else the latest. */
  resetTime(headers) {
    const resets: number[] = []
    for (const kind of RESET_KINDS) {
      const v = first(headers[`anthropic-ratelimit-${kind}-reset`])
      const t = v ? Date.parse(v) : NaN
      if (Number.isNaN(t)) continue
      if (first(headers[`anthropic-ratelimit-${kind}-remaining`]) === '0') return t
      resets.push(t)
    }
    return resets.length ? Math.max(...resets) : null
  },
}
