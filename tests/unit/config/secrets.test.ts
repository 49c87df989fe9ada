import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../../server/config/schema'
import { resolveSecrets } from '../../../server/config/secrets'

const dirs: string[] = []
const dataDir = () => { const d = mkdtempSync(join(tmpdir(), 'kg-secrets-')); dirs.push(d); return d }
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

describe('generated secrets', () => {
  it('generates strong AUTH_KEY and ENCRYPTION_KEY once, mode 0600, and reuses them', () => {
    const dir = dataDir()
    const first = resolveSecrets(parseConfig({ DATA_DIR: dir }))
    expect(first.generatedAuthKey).toBe(true)
    expect(first.authKey.length).toBeGreaterThanOrEqual(32)
    expect(first.encryptionKey.length).toBeGreaterThanOrEqual(32)
    for (const f of ['auth-key', 'encryption-key']) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    }
    expect(readFileSync(join(dir, 'auth-key'), 'utf8').trim()).toBe(first.authKey)

    const second = resolveSecrets(parseConfig({ DATA_DIR: dir }))
    expect(second).toEqual({ ...first, generatedAuthKey: false })
  })

  it('uses AUTH_KEY and ENCRYPTION_KEY from the environment without writing files', () => {
    const dir = dataDir()
    const s = resolveSecrets(parseConfig({ DATA_DIR: dir, AUTH_KEY: 'my-admin-key', ENCRYPTION_KEY: 'my-encryption-key-123' }))
    expect(s).toEqual({ authKey: 'my-admin-key', encryptionKey: 'my-encryption-key-123', generatedAuthKey: false })
    expect(() => statSync(join(dir, 'auth-key'))).toThrow()
    expect(() => statSync(join(dir, 'encryption-key'))).toThrow()
  })

  it('two different data directories get different secrets', () => {
    const a = resolveSecrets(parseConfig({ DATA_DIR: dataDir() }))
    const b = resolveSecrets(parseConfig({ DATA_DIR: dataDir() }))
    expect(a.authKey).not.toBe(b.authKey)
    expect(a.encryptionKey).not.toBe(b.encryptionKey)
  })

  it('reports an unusable DATA_DIR by name', () => {
    expect(() => resolveSecrets(parseConfig({ DATA_DIR: '/etc/hostname/keygate' }))).toThrow(ConfigError)
    expect(() => resolveSecrets(parseConfig({ DATA_DIR: '/etc/hostname/keygate' }))).toThrow(/^DATA_DIR: cannot create/)
  })
})
