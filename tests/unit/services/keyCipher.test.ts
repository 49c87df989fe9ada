import { describe, expect, it } from 'vitest'
import { createKeyCipher, DecryptError } from '../../../server/services/keys/cipher'
import { maskSecret } from '../../../shared/mask'

describe('key encryption at rest', () => {
  const cipher = createKeyCipher('test-encryption-key-0123456789')

  it('round-trips, with a fresh nonce every time', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789'
    const a = cipher.encrypt(key)
    const b = cipher.encrypt(key)
    expect(a).not.toBe(b)
    expect(a).not.toContain(key)
    expect(cipher.decrypt(a)).toBe(key)
    expect(cipher.decrypt(b)).toBe(key)
  })

  it('detects tampering', () => {
    const token = cipher.encrypt('sk-secret-value-123456')
    const raw = Buffer.from(token.slice(3), 'base64')
    raw[raw.length - 1]! ^= 1
    expect(() => cipher.decrypt(`v1:${raw.toString('base64')}`)).toThrow(DecryptError)
    expect(() => cipher.decrypt('v1:AAAA')).toThrow(/truncated/)
    expect(() => cipher.decrypt('garbage')).toThrow(DecryptError)
  })

  it('refuses ciphertext made under another ENCRYPTION_KEY', () => {
    const other = createKeyCipher('another-encryption-key-987654')
    expect(() => other.decrypt(cipher.encrypt('sk-secret-value-123456'))).toThrow(/tampered, or encrypted under another ENCRYPTION_KEY/)
  })

  it('hashes deterministically per ENCRYPTION_KEY (HMAC-SHA256)', () => {
    expect(cipher.hash('sk-a')).toBe(cipher.hash('sk-a'))
    expect(cipher.hash('sk-a')).toMatch(/^[0-9a-f]{64}$/)
    expect(cipher.hash('sk-a')).not.toBe(cipher.hash('sk-b'))
    expect(createKeyCipher('another-encryption-key-987654').hash('sk-a')).not.toBe(cipher.hash('sk-a'))
  })

  it('masks keys as sk-ab…wxyz', () => {
    expect(maskSecret('sk-abcdefghijklmnopqrstuvwxyz')).toBe('sk-ab…wxyz')
    expect(maskSecret('short-key')).toBe('sh…ey')
    expect(maskSecret('abc')).toBe('…')
  })
})
