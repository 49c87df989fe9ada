import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../../server/config/schema'

const message = (env: Record<string, string>) => {
  try { parseConfig(env) } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('request body and slot limits from the environment', () => {
  it('defaults: 30 s for a body, 256 MB of bodies held, half the slots per proxy key', () => {
    expect(parseConfig({})).toMatchObject({ requestBodyTimeoutMs: 30_000, maxBufferedBodyBytes: 256 * 1024 * 1024, proxyKeyMaxShare: 0.5 })
  })

  it('reads valid values', () => {
    expect(parseConfig({ REQUEST_BODY_TIMEOUT: '5', MAX_BUFFERED_BODY_MB: '64', PROXY_KEY_MAX_SHARE: '0.25' }))
      .toMatchObject({ requestBodyTimeoutMs: 5000, maxBufferedBodyBytes: 64 * 1024 * 1024, proxyKeyMaxShare: 0.25 })
    expect(parseConfig({ PROXY_KEY_MAX_SHARE: '1' }).proxyKeyMaxShare).toBe(1)
  })

  it.each([
    [{ REQUEST_BODY_TIMEOUT: '0' }, 'REQUEST_BODY_TIMEOUT: must be a number of seconds'],
    [{ MAX_BUFFERED_BODY_MB: '1.5' }, 'MAX_BUFFERED_BODY_MB: must be a whole number'],
    [{ PROXY_KEY_MAX_SHARE: '0' }, 'PROXY_KEY_MAX_SHARE: must be a number above 0 and at most 1'],
    [{ PROXY_KEY_MAX_SHARE: '1.5' }, 'PROXY_KEY_MAX_SHARE:'],
    [{ PROXY_KEY_MAX_SHARE: 'half' }, 'PROXY_KEY_MAX_SHARE:'],
  ])('refuses %j', (env, expected) => {
    expect(message(env)).toContain(expected)
  })
})
