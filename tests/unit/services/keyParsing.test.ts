import { createCipheriv, pbkdf2Sync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { gptLoadDecryptor } from '../../../server/services/gptLoadImport'
import { splitKeys } from '../../../server/services/keys/import'
import { validationBlamesKey } from '../../../server/services/keys/validation'
import { DEFAULT_SETTINGS } from '../../../shared/settings'
import { groupRowFixture } from './fixtures'

describe('splitKeys', () => {
  it('splits on newlines, commas, spaces, tabs and semicolons, dropping empties and quotes', () => {
    expect(splitKeys('a1\nb2,c3 d4;e5\t\r\nf6,, ;\n"g7" \'h8\'').keys).toEqual(['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7', 'h8'])
  })
  it('reads a JSON array, and an array given directly', () => {
    expect(splitKeys(' ["k1", "k2"] ').keys).toEqual(['k1', 'k2'])
    expect(splitKeys(['k3', ' k4 ', '']).keys).toEqual(['k3', 'k4'])
  })
  it('counts over-long keys as invalid and refuses a broken JSON array', () => {
    expect(splitKeys(`ok ${'x'.repeat(1001)}`)).toEqual({ keys: ['ok'], invalid: 1 })
    expect(() => splitKeys('["a", ')).toThrow(/JSON/)
    expect(() => splitKeys('[1, 2]')).toThrow(/strings/)
  })
})

describe('validationBlamesKey', () => {
  const g = groupRowFixture()
  const r = (ok: boolean, status: number) => ({ ok, status, latencyMs: 1, error: ok ? null : 'x' })
  it('blames the key for auth and billing errors, not for rate limits, timeouts, 5xx or network errors', () => {
    for (const s of [400, 401, 402, 403, 404]) expect(validationBlamesKey(g, r(false, s), DEFAULT_SETTINGS), String(s)).toBe(true)
    for (const s of [0, 408, 429, 500, 502, 503]) expect(validationBlamesKey(g, r(false, s), DEFAULT_SETTINGS), String(s)).toBe(false)
    expect(validationBlamesKey(g, r(true, 200), DEFAULT_SETTINGS)).toBe(false)
  })
  it('blames the key for a status the group bans', () => {
    expect(validationBlamesKey(groupRowFixture({ config: { ban_status_codes: '500-503' } }), r(false, 503), DEFAULT_SETTINGS)).toBe(true)
    expect(validationBlamesKey(g, r(false, 503), { ...DEFAULT_SETTINGS, ban_status_codes: '503' })).toBe(true)
  })
})

describe('gptLoadDecryptor', () => {
  const encrypt = (plain: string, key: string) => {
    const c = createCipheriv('aes-256-gcm', pbkdf2Sync(key, 'gpt-load-encryption-v1', 100_000, 32, 'sha256'), Buffer.alloc(12, 7))
    return Buffer.concat([Buffer.alloc(12, 7), c.update(plain), c.final(), c.getAuthTag()]).toString('hex')
  }
  it('decrypts what GPT-Load encrypted and refuses another key', () => {
    const token = encrypt('sk-secret-value', 'the-gpt-load-key-1234')
    expect(gptLoadDecryptor('the-gpt-load-key-1234')(token)).toBe('sk-secret-value')
    expect(() => gptLoadDecryptor('another-key-12345678')(token)).toThrow(/encryption-key/)
  })
  it('passes values through when GPT-Load ran without ENCRYPTION_KEY', () => {
    expect(gptLoadDecryptor('')('sk-plain')).toBe('sk-plain')
  })
})
