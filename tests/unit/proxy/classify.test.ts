import { describe, expect, it } from 'vitest'
import { channelFor } from '../../../server/proxy/channels'
import { nextPacificMidnight } from '../../../server/proxy/channels/gemini/keyErrors'
import { parseDuration } from '../../../server/proxy/channels/openai/keyErrors'
import { classifyFailure } from '../../../server/proxy/classify'
import { parseStatusRanges } from '../../../shared/settings'

const now = 1_700_000_000_000
const openai = channelFor('openai').keyErrors
const anthropic = channelFor('anthropic').keyErrors
const gemini = channelFor('gemini').keyErrors
const base = { now, cooldownSeconds: 60, isBanStatus: () => false, headers: {}, bodyText: '', rules: openai }

describe('classifyFailure', () => {
  it('blames the key for 401 and 403, not for 5xx or network errors', () => {
    expect(classifyFailure({ ...base, status: 401 }).kind).toBe('blame')
    expect(classifyFailure({ ...base, status: 403 }).kind).toBe('blame')
    expect(classifyFailure({ ...base, status: 500 }).kind).toBe('none')
    expect(classifyFailure({ ...base, status: 503 }).kind).toBe('none')
    expect(classifyFailure({ ...base, status: 0 }).kind).toBe('none')
    expect(classifyFailure({ ...base, status: 400, bodyText: '{"error":{"message":"bad param"}}' }).kind).toBe('none')
  })

  it('blames billing errors even when they come as 429', () => {
    expect(classifyFailure({ ...base, status: 429, bodyText: '{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}' }).kind).toBe('blame')
  })

  it("treats Gemini's 400 API_KEY_INVALID as the key's fault", () => {
    expect(classifyFailure({ ...base, rules: gemini, status: 400, bodyText: '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}' }).kind).toBe('blame')
  })

  it('bans at once for ban_status_codes', () => {
    expect(classifyFailure({ ...base, status: 402, isBanStatus: parseStatusRanges('402') }).kind).toBe('ban')
  })

  it('cools a 429 for Retry-After seconds, else cooldown_seconds', () => {
    expect(classifyFailure({ ...base, status: 429, headers: { 'retry-after': '2' } })).toEqual({ kind: 'cooldown', until: now + 2000 })
    expect(classifyFailure({ ...base, status: 429 })).toEqual({ kind: 'cooldown', until: now + 60_000 })
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
