import { describe, expect, it } from 'vitest'
import { channelFor } from '../../../server/proxy/channels'
import { nextPacificMidnight } from '../../../server/proxy/channels/gemini/keyErrors'
import { parseDuration } from '../../../server/proxy/channels/openai/keyErrors'
import { classifyFailure, refusesRequest } from '../../../server/proxy/classify'
import { parseStatusRanges } from '../../../shared/settings'

const now = 1_700_000_000_000
const openai = channelFor('openai').keyErrors
const anthropic = channelFor('anthropic').keyErrors
const gemini = channelFor('gemini').keyErrors
const base = { now, cooldownSeconds: 60, isBanStatus: () => false, headers: {}, bodyText: '', rules: openai }

const oaiError = (code: string | null, message = 'x', type = 'invalid_request_error') => JSON.stringify({ error: { message, type, param: null, code } })
const anthropicError = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } })
const geminiError = (code: number, status: string, reason?: string, message = 'x') => JSON.stringify({
  error: { code, message, status, details: reason ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, 'domain': 'googleapis.com' }] : [] },
})
const verdict = (o: Partial<Parameters<typeof classifyFailure>[0]>) => classifyFailure({ ...base, status: 400, ...o }).kind

describe('classifyFailure', () => {
  it('blames a 401 with nothing to read, never 5xx or network errors', () => {
    expect(verdict({ status: 401 })).toBe('blame')
    expect(verdict({ status: 401, bodyText: '<html>Unauthorized</html>' })).toBe('blame')
    expect(verdict({ status: 500 })).toBe('none')
    expect(verdict({ status: 503, bodyText: oaiError('invalid_api_key') })).toBe('none')
    expect(verdict({ status: 0 })).toBe('none')
  })

  it('does not blame a bare 403: a firewall or a region, more often than a key', () => {
    expect(verdict({ status: 403 })).toBe('none')
    expect(verdict({ status: 403, bodyText: 'Forbidden' })).toBe('none')
  })

  it("reads OpenAI's error.code and error.type: the key, its account, billing", () => {
    expect(verdict({ status: 401, bodyText: oaiError('invalid_api_key', 'Incorrect API key provided: sk-…') })).toBe('blame')
    expect(verdict({ status: 401, bodyText: oaiError('account_deactivated') })).toBe('blame')
    expect(verdict({ status: 429, bodyText: oaiError('insufficient_quota', 'You exceeded your current quota', 'insufficient_quota') })).toBe('blame')
    expect(verdict({ status: 401, bodyText: oaiError(null, 'Authentication Fails', 'authentication_error') })).toBe('blame')
  })

  it('does not blame OpenAI errors the client caused, whatever their text', () => {
    expect(verdict({ status: 400, bodyText: oaiError(null, 'Unrecognized request argument supplied: billing_x') })).toBe('none')
    expect(verdict({ status: 400, bodyText: oaiError(null, 'invalid_api_key insufficient_quota account deactivated billing') })).toBe('none')
    expect(verdict({ status: 401, bodyText: oaiError('mismatched_organization', 'OpenAI-Organization header should match organization for API key') })).toBe('none')
    expect(verdict({ status: 401, bodyText: oaiError('mismatched_project', 'OpenAI-Project header should match project for API key') })).toBe('none')
    expect(verdict({ status: 403, bodyText: oaiError(null, 'You have insufficient permissions for this operation. Missing scopes: api.management.read.') })).toBe('none')
    expect(verdict({ status: 404, bodyText: oaiError('model_not_found', 'The model `gpt-x` does not exist or you do not have access to it.') })).toBe('none')
  })

  it("reads Anthropic's error.type, and its account-level messages only as whole messages", () => {
    const rules = anthropic
    expect(verdict({ rules, status: 401, bodyText: anthropicError('authentication_error', 'invalid x-api-key') })).toBe('blame')
    expect(verdict({ rules, status: 402, bodyText: anthropicError('billing_error', 'payment required') })).toBe('blame')
    const credit = 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'
    expect(verdict({ rules, status: 400, bodyText: anthropicError('invalid_request_error', credit) })).toBe('blame')
    expect(verdict({ rules, status: 400, bodyText: anthropicError('invalid_request_error', `${credit}: Extra inputs are not permitted`) })).toBe('none')
    expect(verdict({ rules, status: 400, bodyText: anthropicError('invalid_request_error', 'billing: Extra inputs are not permitted') })).toBe('none')
    expect(verdict({ rules, status: 403, bodyText: anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.') })).toBe('none')
  })

  it("reads Gemini's google.rpc.ErrorInfo reasons, not its messages", () => {
    const rules = gemini
    expect(verdict({ rules, status: 400, bodyText: geminiError(400, 'INVALID_ARGUMENT', 'API_KEY_INVALID', 'API key not valid. Please pass a valid API key.') })).toBe('blame')
    expect(verdict({ rules, status: 403, bodyText: geminiError(403, 'PERMISSION_DENIED', 'CONSUMER_SUSPENDED') })).toBe('blame')
    expect(verdict({ rules, status: 403, bodyText: geminiError(403, 'PERMISSION_DENIED', 'API_KEY_SERVICE_BLOCKED') })).toBe('blame')
    // The OpenAI mode wraps the same error in an array.
    expect(verdict({ rules, status: 400, bodyText: `[${geminiError(400, 'INVALID_ARGUMENT', 'API_KEY_INVALID')}]` })).toBe('blame')
    expect(verdict({ rules, status: 400, bodyText: geminiError(400, 'INVALID_ARGUMENT', undefined, 'API_KEY_INVALID API key not valid') })).toBe('none')
    expect(verdict({ rules, status: 403, bodyText: geminiError(403, 'PERMISSION_DENIED', 'USER_PROJECT_DENIED') })).toBe('none')
  })

  it('bans at once for ban_status_codes', () => {
    expect(verdict({ status: 402, isBanStatus: parseStatusRanges('402') })).toBe('ban')
  })

  it('cools a 429 for Retry-After seconds, else cooldown_seconds', () => {
    expect(classifyFailure({ ...base, status: 429, headers: { 'retry-after': '2' } })).toEqual({ kind: 'cooldown', until: now + 2000 })
    expect(classifyFailure({ ...base, status: 429 })).toEqual({ kind: 'cooldown', until: now + 60_000 })
  })
})

describe('refusesRequest', () => {
  it('sends malformed requests back at once, unless the answer names the key', () => {
    for (const status of [400, 404, 405, 413, 415, 422]) expect(refusesRequest(status, { kind: 'none' })).toBe(true)
    expect(refusesRequest(400, { kind: 'blame' })).toBe(false)
    expect(refusesRequest(400, { kind: 'cooldown', until: now })).toBe(false)
    for (const status of [401, 403, 408, 409, 429, 500, 502]) expect(refusesRequest(status, { kind: 'none' })).toBe(false)
  })
})

describe('reset times', () => {
  const cooledUntil = (o: Partial<Parameters<typeof classifyFailure>[0]>) => {
    const v = classifyFailure({ ...base, status: 429, ...o })
    return v.kind === 'cooldown' ? v.until : null
  }

  it('reads Retry-After as an HTTP date, on every channel', () => {
    const at = new Date(now + 30_000).toUTCString()
    for (const rules of [openai, anthropic, gemini]) expect(Math.abs(cooledUntil({ rules, headers: { 'retry-after': at } })! - (now + 30_000))).toBeLessThan(1000)
  })

  it("ignores another provider's reset headers", () => {
    expect(cooledUntil({ rules: anthropic, headers: { 'x-ratelimit-reset-requests': '1s' } })).toBe(now + 60_000)
  })

  it("reads OpenAI's x-ratelimit-reset-*, preferring the exhausted limit", () => {
    expect(parseDuration('6m0s')).toBe(360_000)
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500)
    expect(parseDuration('20ms')).toBe(20)
    expect(openai.resetTime({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-requests': '0' }, null, now)).toBe(now + 1000)
    expect(cooledUntil({ headers: { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' } })).toBe(now + 360_000)
  })

  it("reads Anthropic's anthropic-ratelimit-*-reset", () => {
    const at = new Date(now + 45_000).toISOString()
    expect(cooledUntil({ rules: anthropic, headers: { 'anthropic-ratelimit-requests-reset': at, 'anthropic-ratelimit-requests-remaining': '0' } })).toBe(now + 45_000)
  })

  it("reads Gemini's RetryInfo and per-day quota failures", () => {
    const retry = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '37s' }] } }
    expect(gemini.resetTime({}, retry, now)).toBe(now + 37_000)
    const perDay = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', 'violations': [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] }, { '@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '5s' }] } }
    expect(gemini.resetTime({}, perDay, now)).toBe(nextPacificMidnight(now))
    const v = classifyFailure({ ...base, rules: gemini, status: 429, bodyText: JSON.stringify(perDay) })
    expect(v).toEqual({ kind: 'cooldown', until: nextPacificMidnight(now) })
    // Gemini's 400 RESOURCE_EXHAUSTED is a throttle, too: cooled, not blamed.
    expect(classifyFailure({ ...base, rules: gemini, status: 400, bodyText: JSON.stringify({ error: { ...perDay.error, code: 400 } }) }).kind).toBe('cooldown')
  })

  it('computes the next midnight in Los Angeles', () => {
    const t = nextPacificMidnight(now)
    expect(t).toBeGreaterThan(now)
    expect(t - now).toBeLessThanOrEqual(86_400_000)
    const hm = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour12: false, hour: '2-digit', minute: '2-digit' }).format(new Date(t))
    expect(hm === '00:00' || hm === '24:00').toBe(true)
  })
})
