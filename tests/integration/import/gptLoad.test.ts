import { spawnSync } from 'node:child_process'
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import { afterAll, describe, expect, it } from 'vitest'
import { createMysqlDatabase } from '../../support/backends'
import { testEnv } from '../../support/env'
import { startServer, TEST_AUTH_KEY } from '../../support/server'

const GPT_LOAD_KEY = 'gpt-load-secret-encryption-key-1'

/** Encrypts the way GPT-Load does: AES-256-GCM under PBKDF2-SHA256(key, "gpt-load-encryption-v1", 100000), hex(nonce‖ct‖tag). */
function gptLoadEncrypt(plain: string, key = GPT_LOAD_KEY): string {
  const aes = pbkdf2Sync(key, 'gpt-load-encryption-v1', 100_000, 32, 'sha256')
  const nonce = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', aes, nonce)
  return Buffer.concat([nonce, c.update(plain, 'utf8'), c.final(), c.getAuthTag()]).toString('hex')
}

const OPENAI_KEYS = ['sk-openai-aaaaaaaaaaaaaaaaaaaa1', 'sk-openai-aaaaaaaaaaaaaaaaaaaa2', 'sk-openai-aaaaaaaaaaaaaaaaaaaa3']
const GEMINI_KEYS = ['AIzaSy-gemini-bbbbbbbbbbbbbbbbbb1', 'AIzaSy-gemini-bbbbbbbbbbbbbbbbbb2']
const ts = '2025-06-01 10:00:00'

type Exec = (sql: string, params?: unknown[]) => Promise<void>

/** GPT-Load's tables, as its GORM models create them (the columns this importer reads). */
async function buildFixture(exec: Exec, dialect: 'sqlite' | 'mysql') {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'INT AUTO_INCREMENT PRIMARY KEY'
  const txt = dialect === 'sqlite' ? 'TEXT' : 'LONGTEXT'
  const vc = dialect === 'sqlite' ? 'TEXT' : 'VARCHAR(255)'
  await exec(`CREATE TABLE system_settings (id ${id}, setting_key ${vc} NOT NULL UNIQUE, setting_value ${txt} NOT NULL, description ${vc}, created_at DATETIME, updated_at DATETIME)`)
  await exec(`CREATE TABLE \`groups\` (id ${id}, name ${vc} NOT NULL UNIQUE, display_name ${vc}, proxy_keys ${txt}, description ${vc}, group_type ${vc} DEFAULT 'standard', upstreams ${txt} NOT NULL, validation_endpoint ${vc}, channel_type ${vc} NOT NULL, sort INT DEFAULT 0, test_model ${vc} NOT NULL, param_overrides ${txt}, config ${txt}, header_rules ${txt}, model_redirect_rules ${txt}, model_redirect_strict BOOLEAN DEFAULT 0, last_validated_at DATETIME, created_at DATETIME, updated_at DATETIME)`)
  await exec(`CREATE TABLE api_keys (id ${id}, key_value ${txt} NOT NULL, key_hash VARCHAR(128), group_id INT NOT NULL, status ${vc} NOT NULL DEFAULT 'active', notes ${txt}, request_count BIGINT NOT NULL DEFAULT 0, failure_count BIGINT NOT NULL DEFAULT 0, last_used_at DATETIME, created_at DATETIME, updated_at DATETIME)`)
  await exec(`CREATE TABLE group_sub_groups (id ${id}, group_id INT NOT NULL, sub_group_id INT NOT NULL, weight INT DEFAULT 0, created_at DATETIME, updated_at DATETIME)`)
  for (const [k, v] of [['proxy_keys', 'sk-global-proxy-one, sk-global-proxy-two'], ['app_url', 'https://gpt-load.example.com'], ['max_retries', '5'], ['enable_request_body_logging', 'true'],
    ['request_log_write_interval_minutes', '1'], ['max_idle_conns_per_host', '20'], ['blacklist_threshold', 'lots']])
    await exec('INSERT INTO system_settings (setting_key, setting_value, created_at, updated_at) VALUES (?, ?, ?, ?)', [k, v, ts, ts])
  const group = `INSERT INTO \`groups\` (name, display_name, proxy_keys, description, group_type, upstreams, validation_endpoint, channel_type, sort, test_model, param_overrides, config, header_rules, model_redirect_rules, model_redirect_strict, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  await exec(group, ['openai-main', 'OpenAI', 'sk-group-proxy-key', 'main pool', 'standard', JSON.stringify([{ url: 'https://api.openai.com', weight: 3 }]), '', 'openai', 1, 'gpt-4o-mini',
    JSON.stringify({ temperature: 0.5 }), JSON.stringify({ max_retries: 2, max_idle_conns_per_host: 5, enable_request_body_logging: true }), JSON.stringify([{ key: 'X-Org', value: 'acme', action: 'set' }]), JSON.stringify({ 'gpt-4': 'gpt-4o' }), 1, ts, ts])
  await exec(group, ['gem', 'Gemini', '', '', 'standard', JSON.stringify([{ url: 'https://generativelanguage.googleapis.com', weight: 1 }]), '', 'gemini', 2, 'gemini-2.0-flash', '{}', '{}', '[]', '{}', 0, ts, ts])
  await exec(group, ['agg', 'Aggregate', 'sk-group-proxy-key', '', 'aggregate', '[]', '', 'openai', 3, 'gpt-4o-mini', '{}', '{}', '[]', '{}', 0, ts, ts])
  await exec(group, ['weird', 'Unsupported', '', '', 'standard', JSON.stringify([{ url: 'https://x.example.com', weight: 1 }]), '', 'cohere', 4, 'x', '{}', '{}', '[]', '{}', 0, ts, ts])
  const key = 'INSERT INTO api_keys (key_value, key_hash, group_id, status, notes, request_count, failure_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
  for (const [i, k] of OPENAI_KEYS.entries()) await exec(key, [gptLoadEncrypt(k), 'h', 1, i === 2 ? 'invalid' : 'active', i === 0 ? 'first key' : '', 10 * i, i, ts, ts])
  for (const k of GEMINI_KEYS) await exec(key, [gptLoadEncrypt(k), 'h', 2, 'active', '', 0, 0, ts, ts])
  await exec('INSERT INTO group_sub_groups (group_id, sub_group_id, weight, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [3, 1, 5, ts, ts])
}

function runImport(env: Record<string, string>, dsn: string, encryptionKey: string) {
  const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/import-gpt-load.ts', '--dsn', dsn, '--encryption-key', encryptionKey], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8', timeout: 60_000,
  })
  let report: any = null
  try { report = JSON.parse(r.stdout) } catch {}
  return { code: r.status, report, stderr: r.stderr }
}

async function checkImported(env: Record<string, string>, dataDir: string) {
  const s = await startServer({ env, dataDir })
  try {
    const groups = (await s.api('GET', '/api/groups')).body.items
    expect(groups.map((g: any) => g.name)).toEqual(['openai-main', 'gem', 'agg'])
    const [main, gem, agg] = groups
    expect(main).toMatchObject({
      displayName: 'OpenAI', description: 'main pool', channel: 'openai', type: 'standard', upstreams: [{ url: 'https://api.openai.com', weight: 3 }], testModel: 'gpt-4o-mini',
      paramOverrides: { temperature: 0.5 }, config: { max_retries: 2, request_log_body: true }, headerRules: [{ name: 'X-Org', value: 'acme', action: 'set' }],
      modelRedirects: { 'gpt-4': 'gpt-4o' }, modelRedirectStrict: true, endpoint: 'https://gpt-load.example.com/proxy/openai-main',
    })
    expect(gem.channel).toBe('gemini')
    expect(agg).toMatchObject({ type: 'aggregate', subGroups: [{ groupId: main.id, weight: 5 }] })
    const exported = await fetch(`${s.url}/api/groups/${main.id}/keys/export`, { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })
    expect((await exported.text()).trim().split('\n')).toEqual(OPENAI_KEYS)
    const keys = (await s.api('GET', `/api/groups/${main.id}/keys`)).body.items
    expect(keys.map((k: any) => [k.status, k.notes, k.requestCount])).toEqual([['active', 'first key', 0], ['active', '', 10], ['invalid', '', 20]])
    expect((await s.api('GET', `/api/groups/${gem.id}/keys`)).body.total).toBe(2)
    const pks = (await s.api('GET', '/api/proxy-keys')).body.items
    expect(pks.map((p: any) => [p.masked, p.groupIds])).toEqual([['sk-gl…-one', []], ['sk-gl…-two', []], ['sk-gr…-key', [main.id, agg.id]]])
    const settings = Object.fromEntries((await s.api('GET', '/api/settings')).body.map((x: any) => [x.key, x.value]))
    expect(settings).toMatchObject({ app_url: 'https://gpt-load.example.com', max_retries: 5, request_log_body: true, request_log_write_interval_seconds: 60, blacklist_threshold: 3 })
  } finally { await s.stop() }
}

describe('npm run import:gpt-load from a GPT-Load SQLite database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-gptload-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('imports groups, sub-groups, keys, settings and proxy keys, and a second run adds nothing', async () => {
    const file = join(dir, 'gpt-load.db')
    const src = new Database(file)
    await buildFixture(async (sql, params = []) => { src.prepare(sql).run(...(params as never[])) }, 'sqlite')
    src.close()
    const dataDir = join(dir, 'keygate')
    const env = { DATA_DIR: dataDir }

    const wrong = runImport(env, file, 'not-the-right-key-123456')
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('encryption-key')
    // Nothing half-written by the failed run.
    const after = new Database(join(dataDir, 'keygate.db'), { readonly: true })
    expect(after.prepare("SELECT (SELECT COUNT(*) FROM groups) + (SELECT COUNT(*) FROM proxy_keys) + (SELECT COUNT(*) FROM settings WHERE key NOT LIKE '\\_%' ESCAPE '\\') AS n").get()).toEqual({ n: 0 })
    after.close()

    const first = runImport(env, file, GPT_LOAD_KEY)
    expect(first.code, first.stderr).toBe(0)
    expect(first.report).toMatchObject({ groups: { created: 3, existing: 0, skipped: [{ name: 'weird' }] }, subGroups: 1, keys: { added: 5, existing: 0, failed: 0 }, proxyKeys: { created: 3, existing: 0 } })
    expect(first.report.settings.ignored).toEqual(expect.arrayContaining(['max_idle_conns_per_host', 'blacklist_threshold']))
    await checkImported({ AUTH_KEY: TEST_AUTH_KEY }, dataDir)

    const second = runImport(env, file, GPT_LOAD_KEY)
    expect(second.code, second.stderr).toBe(0)
    expect(second.report).toMatchObject({
      groups: { created: 0, existing: 3 }, subGroups: 0, keys: { added: 0, existing: 5 }, proxyKeys: { created: 0 },
    })
    await checkImported({ AUTH_KEY: TEST_AUTH_KEY }, dataDir)
  })

  it('imports a GPT-Load database that stored keys unencrypted (empty --encryption-key)', async () => {
    const file = join(dir, 'plain.db')
    const src = new Database(file)
    await buildFixture(async (sql, params = []) => { src.prepare(sql).run(...(params as never[])) }, 'sqlite')
    src.prepare('UPDATE api_keys SET key_value = ? WHERE id = 1').run('sk-plain-cccccccccccccccccccc')
    src.prepare('DELETE FROM api_keys WHERE id > 1').run()
    src.close()
    const r = runImport({ DATA_DIR: join(dir, 'keygate-plain') }, file, '')
    expect(r.code, r.stderr).toBe(0)
    expect(r.report.keys).toEqual({ added: 1, existing: 0, failed: 0 })
  })
})

const mysqlOn = !!testEnv.mysqlUrl
describe.skipIf(!mysqlOn)(`npm run import:gpt-load from GPT-Load on MySQL into Keygate on MySQL${mysqlOn ? '' : ' (skipped: set KEYGATE_TEST_MYSQL_URL to run it)'}`, () => {
  const drops: (() => Promise<void>)[] = []
  afterAll(async () => { for (const d of drops) await d() })

  it('imports everything, idempotently', async () => {
    const source = await createMysqlDatabase('gptload_src')
    const target = await createMysqlDatabase('gptload_dst')
    drops.push(source.drop, target.drop)
    const conn = await mysql.createConnection(source.url)
    await buildFixture(async (sql, params = []) => { await conn.query(sql, params) }, 'mysql')
    await conn.end()
    const u = new URL(source.url)
    const goDsn = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}@tcp(${u.host})${u.pathname}?charset=utf8mb4&parseTime=True&loc=Local`
    const dataDir = mkdtempSync(join(tmpdir(), 'keygate-gptload-my-'))
    const env = { DATA_DIR: dataDir, DATABASE_DSN: target.url, ENCRYPTION_KEY: 'test-encryption-key-0123456789' }
    try {
      const first = runImport(env, goDsn, GPT_LOAD_KEY)
      expect(first.code, first.stderr).toBe(0)
      expect(first.report).toMatchObject({ groups: { created: 3 }, subGroups: 1, keys: { added: 5 }, proxyKeys: { created: 3 } })
      const second = runImport(env, goDsn, GPT_LOAD_KEY)
      expect(second.report).toMatchObject({
        groups: { created: 0, existing: 3 }, keys: { added: 0, existing: 5 }, proxyKeys: { created: 0 },
      })
      await checkImported({ AUTH_KEY: TEST_AUTH_KEY, DATABASE_DSN: target.url, ENCRYPTION_KEY: 'test-encryption-key-0123456789' }, dataDir)
    } finally { rmSync(dataDir, { recursive: true, force: true }) }
  })
})
