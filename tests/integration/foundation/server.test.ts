import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { runServerToExit, startServer } from '../../support/server'

const dirs: string[] = []
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'kg-found-')); dirs.push(d); return d }
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

describe('the built server on embedded defaults', () => {
  it('serves /health and /ready, and exits 0 on SIGTERM', async () => {
    const s = await startServer()
    const health = await fetch(`${s.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${s.url}/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', redis: 'not used' })
    expect(await s.stop()).toBe(0)
    expect(s.output()).toContain('shutdown complete')
  })

  it('generates the admin key once, prints it once with the console URL, and reuses it', async () => {
    const dataDir = tempDir()
    const first = await startServer({ dataDir, env: { AUTH_KEY: undefined } })
    const adminKey = readFileSync(join(dataDir, 'auth-key'), 'utf8').trim()
    expect(first.output()).toContain(`Admin key: ${adminKey}`)
    expect(first.output()).toContain(`Console:   http://127.0.0.1:${first.port}/`)
    const login = await fetch(`${first.url}/api/auth/session`, { headers: { authorization: `Bearer ${adminKey}` } })
    expect(login.status).toBe(200)
    await first.stop()

    const second = await startServer({ dataDir, env: { AUTH_KEY: undefined } })
    expect(second.output()).not.toContain(adminKey)
    expect(readFileSync(join(dataDir, 'auth-key'), 'utf8').trim()).toBe(adminKey)
    const again = await fetch(`${second.url}/api/auth/session`, { headers: { authorization: `Bearer ${adminKey}` } })
    expect(again.status).toBe(200)
    await second.stop()
  })

  it('migrates an empty SQLite database, and a second start changes nothing', async () => {
    const dataDir = tempDir()
    const first = await startServer({ dataDir })
    await first.stop()
    const db = new Database(join(dataDir, 'keygate.db'))
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all().map((r: any) => r.name)
    expect(tables).toEqual(expect.arrayContaining(['groups', 'group_sub_groups', 'api_keys', 'proxy_keys', 'request_logs', 'hourly_stats', 'settings', 'tasks']))
    const applied = db.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all()
    expect(applied.length).toBeGreaterThan(0)
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('max_retries', '5', 1)").run()
    db.close()

    const second = await startServer({ dataDir })
    await second.stop()
    const db2 = new Database(join(dataDir, 'keygate.db'))
    expect(db2.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all()).toEqual(applied)
    expect(db2.prepare("SELECT value FROM settings WHERE key = 'max_retries'").get()).toEqual({ value: '5' })
    db2.close()
  })

  it('refuses to start with a different ENCRYPTION_KEY than the data was encrypted with', async () => {
    const dataDir = tempDir()
    const s = await startServer({ dataDir })
    await s.stop()
    writeFileSync(join(dataDir, 'encryption-key'), 'a-completely-different-key-0123456789\n')
    const r = await runServerToExit({ DATA_DIR: dataDir })
    expect(r.code).toBe(1)
    expect(r.output).toContain('keygate: ENCRYPTION_KEY: does not match the key this database was encrypted with')
  })

  it('refuses to start when the stored encrypted data was tampered with', async () => {
    const dataDir = tempDir()
    const s = await startServer({ dataDir })
    await s.stop()
    const db = new Database(join(dataDir, 'keygate.db'))
    const row = db.prepare("SELECT value FROM settings WHERE key = '_encryption_check'").get() as { value: string }
    const token = JSON.parse(row.value) as string
    const raw = Buffer.from(token.slice(3), 'base64')
    raw[raw.length - 1]! ^= 0xff
    db.prepare("UPDATE settings SET value = ? WHERE key = '_encryption_check'").run(JSON.stringify(`v1:${raw.toString('base64')}`))
    db.close()
    const r = await runServerToExit({ DATA_DIR: dataDir })
    expect(r.code).toBe(1)
    expect(r.output).toContain('ENCRYPTION_KEY: does not match')
  })

  it.each([
    [{ PORT: '99999' }, 'keygate: PORT: must be 1-65535, got "99999"'],
    [{ DATABASE_DSN: 'pg://u:p@localhost/db' }, 'keygate: DATABASE_DSN: unsupported scheme "pg"'],
    [{ DATABASE_DSN: 'mysql://u:p@127.0.0.1:1/db', ENCRYPTION_KEY: undefined }, 'keygate: ENCRYPTION_KEY is required when DATABASE_DSN is MySQL'],
    [{ LOG_FORMAT: 'yaml' }, 'keygate: LOG_FORMAT: must be text or json'],
    [{ REDIS_DSN: 'http://x' }, 'keygate: REDIS_DSN: unsupported scheme "http"'],
  ])('exits 1 with one line for bad configuration %o', async (env, line) => {
    const r = await runServerToExit(env)
    expect(r.code).toBe(1)
    const lines = r.output.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(line)
  })

  it('exits 1 naming DATABASE_DSN when MySQL cannot be reached', async () => {
    const r = await runServerToExit({ DATABASE_DSN: 'mysql://u:p@127.0.0.1:1/db', ENCRYPTION_KEY: 'an-encryption-key-for-tests' })
    expect(r.code).toBe(1)
    expect(r.output).toMatch(/keygate: DATABASE_DSN: cannot open MySQL mysql:\/\/\*\*\*@127\.0\.0\.1:1\/db/)
    expect(r.output).not.toContain('u:p@')
  })

  it('exits 1 naming REDIS_DSN when Redis cannot be reached', async () => {
    const r = await runServerToExit({ REDIS_DSN: 'redis://127.0.0.1:1/0' }, 30_000)
    expect(r.code).toBe(1)
    expect(r.output).toContain('keygate: REDIS_DSN: cannot reach Redis')
  }, 40_000)

  it('serves the console shell', async () => {
    const s = await startServer()
    const res = await fetch(`${s.url}/login`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<div id="__nuxt">')
    await s.stop()
  })
})
