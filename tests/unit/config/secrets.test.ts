import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
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

  it.each([
    ['auth-key', '', /^DATA_DIR\/auth-key: is empty \(.*auth-key\); delete it to generate a new admin key, or set AUTH_KEY$/],
    ['auth-key', ' \u00a0\n', /^DATA_DIR\/auth-key: is empty/],
    ['auth-key', 'short\n', /^DATA_DIR\/auth-key: is shorter than 8 characters/],
    ['encryption-key', '\n', /^DATA_DIR\/encryption-key: is empty .*restore it from a backup/],
    ['encryption-key', 'too-short-key\n', /^DATA_DIR\/encryption-key: is shorter than 16 characters/],
  ])('refuses an unusable %s file %j by name instead of using it', (name, content, message) => {
    const dir = dataDir()
    writeFileSync(join(dir, name), content)
    const env = name === 'auth-key' ? { DATA_DIR: dir, ENCRYPTION_KEY: 'my-encryption-key-123' } : { DATA_DIR: dir, AUTH_KEY: 'my-admin-key' }
    let thrown: unknown
    try { resolveSecrets(parseConfig(env)) } catch (err) { thrown = err }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as Error).message).toMatch(message)
    expect(readFileSync(join(dir, name), 'utf8')).toBe(content)
  })

  it('refuses AUTH_KEY and ENCRYPTION_KEY set but empty', () => {
    expect(() => parseConfig({ AUTH_KEY: '' })).toThrow(/^AUTH_KEY: is empty/)
    expect(() => parseConfig({ AUTH_KEY: '\u00a0 ' })).toThrow(/^AUTH_KEY: is empty/)
    expect(() => parseConfig({ ENCRYPTION_KEY: '' })).toThrow(/^ENCRYPTION_KEY: is empty/)
  })

  it('waits for a file another start has created but not written yet, and takes its value', () => {
    const dir = dataDir()
    const file = join(dir, 'auth-key')
    writeFileSync(file, '')
    // The other start finishes writing 300 ms later, while this one is blocked in resolveSecrets.
    const writer = spawn('sh', ['-c', `sleep 0.3; printf 'kg-admin-written-by-the-other-start\\n' > '${file}'`])
    const s = resolveSecrets(parseConfig({ DATA_DIR: dir }))
    expect(s.authKey).toBe('kg-admin-written-by-the-other-start')
    expect(s.generatedAuthKey).toBe(false)
    writer.kill()
  })

  it('of several processes starting together on an empty DATA_DIR, one creates each file and all use it', async () => {
    const run = promisify(execFile)
    const child = resolve('tests/support/resolveSecretsChild.ts')
    for (let round = 0; round < 2; round++) {
      const dir = dataDir()
      const startAt = Date.now() + 3000
      const outs = await Promise.all(Array.from({ length: 6 }, () =>
        run(process.execPath, ['--import', 'tsx', child, dir, String(startAt)], { timeout: 20_000 })))
      type Outcome = { authKey: string; encryptionKey: string; generatedAuthKey: boolean; error?: string }
      const results = outs.map(o => JSON.parse(o.stdout) as Outcome)
      expect(results.filter(r => r.error)).toEqual([])
      const authKey = readFileSync(join(dir, 'auth-key'), 'utf8').trim()
      const encryptionKey = readFileSync(join(dir, 'encryption-key'), 'utf8').trim()
      expect(authKey).toMatch(/^kg-admin-.{32}$/)
      expect(encryptionKey.length).toBeGreaterThanOrEqual(32)
      for (const r of results) expect(r).toMatchObject({ authKey, encryptionKey })
      expect(results.filter(r => r.generatedAuthKey)).toHaveLength(1)
      expect(readdirSync(dir).sort()).toEqual(['auth-key', 'encryption-key'])
      for (const f of ['auth-key', 'encryption-key']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    }
  }, 60_000)
})
