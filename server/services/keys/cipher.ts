import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto'

/** Raised when a ciphertext fails authentication: tampered data or a different ENCRYPTION_KEY. */
export class DecryptError extends Error {}

export type KeyCipher = {
  encrypt(plain: string): string
  decrypt(token: string): string
  /** HMAC-SHA256 hex: the lookup and dedup handle of a secret, useless without ENCRYPTION_KEY. */
  hash(plain: string): string
}

const VERSION = 'v1'

/**
 * AES-256-GCM with a random 96-bit nonce per value; the AES and HMAC keys are derived from
 * ENCRYPTION_KEY separately, so neither can be used for the other's job.
 */
export function createKeyCipher(secret: string): KeyCipher {
  const aesKey = scryptSync(secret, 'keygate/aes-256-gcm', 32)
  const hmacKey = scryptSync(secret, 'keygate/hmac-sha256', 32)
  return {
    encrypt(plain) {
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', aesKey, iv)
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
      return `${VERSION}:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`
    },
    decrypt(token) {
      const [version, data] = token.split(':', 2)
      if (version !== VERSION || !data) throw new DecryptError('unknown ciphertext format')
      const buf = Buffer.from(data, 'base64')
      if (buf.length < 28) throw new DecryptError('ciphertext is truncated')
      try {
        const d = createDecipheriv('aes-256-gcm', aesKey, buf.subarray(0, 12))
        d.setAuthTag(buf.subarray(12, 28))
        return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8')
      } catch {
        throw new DecryptError('ciphertext failed authentication (tampered, or encrypted under another ENCRYPTION_KEY)')
      }
    },
    hash(plain) {
      return createHmac('sha256', hmacKey).update(plain).digest('hex')
    },
  }
}
