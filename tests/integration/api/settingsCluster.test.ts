import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMysqlDatabase } from '../../support/backends'
import { testEnv } from '../../support/env'
import { startServer, type RunningServer } from '../../support/server'

const ready = !!(testEnv.mysqlUrl && testEnv.redisUrl)

describe.skipIf(!ready)(`settings hot-apply across two instances on MariaDB + Redis${ready ? '' : ' (skipped: set KEYGATE_TEST_MYSQL_URL and KEYGATE_TEST_REDIS_URL to run it)'}`, () => {
  let a: RunningServer, b: RunningServer, drop: () => Promise<void>
  beforeAll(async () => {
    const db = await createMysqlDatabase('cluster')
    drop = db.drop
    const env = { DATABASE_DSN: db.url, ENCRYPTION_KEY: 'test-encryption-key-0123456789', REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: `kg-api-${randomBytes(4).toString('hex')}:` }
    a = await startServer({ env })
    b = await startServer({ env })
  })
  afterAll(async () => { await a?.stop(); await b?.stop(); await drop?.() })

  it('a PATCH on one instance is in force on the other within 1 s', async () => {
    expect((await a.api('PATCH', '/api/settings', { cooldown_seconds: 123, app_url: 'https://cluster.example.com' })).status).toBe(200)
    const deadline = Date.now() + 1000
    let seen: Record<string, unknown> = {}
    while (Date.now() < deadline) {
      seen = Object.fromEntries((await b.api('GET', '/api/settings')).body.map((x: any) => [x.key, x.value]))
      if (seen.cooldown_seconds === 123) break
      await new Promise(r => setTimeout(r, 25))
    }
    expect(seen).toMatchObject({ cooldown_seconds: 123, app_url: 'https://cluster.example.com' })
    // Group endpoints on the other instance follow the new app_url too.
    const g = await a.api('POST', '/api/groups', { name: 'cluster-g', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] })
    expect((await b.api('GET', `/api/groups/${g.body.id}`)).body.endpoint).toBe('https://cluster.example.com/proxy/cluster-g')
  })

  it('an admin session from one instance works on the other (sessions live in Redis)', async () => {
    const login = await fetch(`${a.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ authKey: 'test-admin-key-0123456789' }) })
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    expect(cookie).toMatch(/^keygate_session=/)
    expect((await fetch(`${b.url}/api/groups`, { headers: { cookie } })).status).toBe(200)
    await fetch(`${b.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: b.url } })
    expect((await fetch(`${a.url}/api/groups`, { headers: { cookie } })).status).toBe(401)
  })

  it('a key task on one instance blocks a second on the other (409)', async () => {
    const g = (await a.api('POST', '/api/groups', { name: 'cluster-tasks', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] })).body.id
    const keys = Array.from({ length: 30_000 }, (_, i) => `sk-cluster-${i}-abcdefghijklmnopqrst`).join('\n')
    const first = await a.api('POST', `/api/groups/${g}/keys`, { keys })
    expect(first.status).toBe(202)
    const second = await b.api('POST', `/api/groups/${g}/keys/actions`, { action: 'delete-invalid' })
    expect(second.status).toBe(409)
    expect(second.body.data.code).toBe('CONFLICT')
  })
})
