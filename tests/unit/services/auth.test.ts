import { describe, expect, it } from 'vitest'
import {
  AUTH_FAILURES_GLOBAL, AUTH_FAILURES_PER_CLIENT, bearerToken, createAuthLimiter, fromOwnOrigin, secretsEqual,
} from '../../../server/services/auth'
import { createMemoryStore } from '../../../server/store'

describe('admin key comparison', () => {
  it('never matches an empty secret, and takes no whitespace off the configured key', () => {
    expect(secretsEqual('', '')).toBe(false)
    expect(secretsEqual('admin-key-1', '')).toBe(false)
    expect(secretsEqual('', 'admin-key-1')).toBe(false)
    expect(secretsEqual('admin-key-1', 'admin-key-1')).toBe(true)
    expect(secretsEqual('admin-key-1', 'admin-key-1 ')).toBe(false)
  })

  it('reads the bearer token without surrounding whitespace, Unicode spaces included', () => {
    expect(bearerToken(undefined)).toBeUndefined()
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken('Bearer \u00a0')).toBe('')
    expect(bearerToken('Bearer \u3000\u2003\ufeff\t')).toBe('')
    expect(bearerToken('Bearer  admin-key-1\u00a0')).toBe('admin-key-1')
    expect(bearerToken('bearer admin-key-1')).toBe('admin-key-1')
  })
})

describe('admin key guessing limit', () => {
  it(`answers the first ${AUTH_FAILURES_PER_CLIENT} wrong keys of a client, then refuses every guess, the right key too`, async () => {
    const limiter = createAuthLimiter(createMemoryStore())
    for (let i = 0; i < AUTH_FAILURES_PER_CLIENT; i++) expect(await limiter.judge('a', false)).toBe('wrong')
    expect(await limiter.judge('a', false)).toBe('limited')
    expect(await limiter.judge('a', true)).toBe('limited')
    expect(await limiter.blocked('a')).toBe(true)
    expect(await limiter.judge('b', true)).toBe('ok')
  })

  it('lets the right key through any number of times without using the budget', async () => {
    const limiter = createAuthLimiter(createMemoryStore())
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => limiter.judge('a', true)))
    expect(new Set(verdicts)).toEqual(new Set(['ok']))
    for (let i = 0; i < AUTH_FAILURES_PER_CLIENT; i++) expect(await limiter.judge('a', false)).toBe('wrong')
  })

  it('gives concurrent wrong guesses no more answers than the limit', async () => {
    const limiter = createAuthLimiter(createMemoryStore())
    const verdicts = await Promise.all(Array.from({ length: 60 }, () => limiter.judge('a', false)))
    expect(verdicts.filter(v => v === 'wrong')).toHaveLength(AUTH_FAILURES_PER_CLIENT)
    expect(verdicts.filter(v => v === 'limited')).toHaveLength(60 - AUTH_FAILURES_PER_CLIENT)
  })

  it(`refuses everyone past ${AUTH_FAILURES_GLOBAL} wrong keys in all, but one client cannot use up that budget alone`, async () => {
    const limiter = createAuthLimiter(createMemoryStore())
    for (let i = 0; i < 500; i++) await limiter.judge('one', false)
    expect(await limiter.judge('other', true)).toBe('ok')
    const clients = Math.ceil(AUTH_FAILURES_GLOBAL / AUTH_FAILURES_PER_CLIENT)
    for (let c = 1; c < clients; c++) {
      for (let i = 0; i < AUTH_FAILURES_PER_CLIENT; i++) await limiter.judge(`c${c}`, false)
    }
    expect(await limiter.judge('fresh', false)).toBe('limited')
    expect(await limiter.judge('fresh-too', true)).toBe('limited')
  })
})

describe('own-origin check for cookie-authorised changes', () => {
  const host = 'keygate.example.com'
  it('trusts Sec-Fetch-Site when the browser sends it', () => {
    expect(fromOwnOrigin({ secFetchSite: 'same-origin', host })).toBe(true)
    expect(fromOwnOrigin({ secFetchSite: 'none', host })).toBe(true)
    expect(fromOwnOrigin({ secFetchSite: 'same-site', origin: `https://${host}`, host })).toBe(false)
    expect(fromOwnOrigin({ secFetchSite: 'cross-site', host })).toBe(false)
  })

  it('else compares the Origin host with the request host', () => {
    expect(fromOwnOrigin({ origin: `https://${host}`, host })).toBe(true)
    expect(fromOwnOrigin({ origin: `https://${host}`, host: `${host}:443` })).toBe(true)
    expect(fromOwnOrigin({ origin: 'http://127.0.0.1:3001', host: '127.0.0.1:3001' })).toBe(true)
    expect(fromOwnOrigin({ origin: 'http://127.0.0.1:3002', host: '127.0.0.1:3001' })).toBe(false)
    expect(fromOwnOrigin({ origin: `https://evil.${host}`, host })).toBe(false)
    expect(fromOwnOrigin({ origin: 'null', host })).toBe(false)
    expect(fromOwnOrigin({ host })).toBe(false)
    expect(fromOwnOrigin({ origin: `https://${host}` })).toBe(false)
  })
})
