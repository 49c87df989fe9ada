import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMysqlDatabase } from '../support/backends'
import { testEnv } from '../support/env'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { NGINX_BIN, startNginx, type Nginx } from '../support/nginx'
import { parsePrometheus } from '../support/prometheus'
import { keyRows, seed } from '../support/proxySeed'
import { freePort, startServer, type RunningServer } from '../support/server'

/**
 * The deployment recipe on loopback: Debian's nginx with deploy/nginx/keygate.conf in front of
 * three built instances on one MariaDB database and one Redis prefix, under steady traffic from
 * the OpenAI SDK (no SDK retries, so every lost request shows).
 */
const missing = [!testEnv.mysqlUrl && 'KEYGATE_TEST_MYSQL_URL', !testEnv.redisUrl && 'KEYGATE_TEST_REDIS_URL', !NGINX_BIN && 'nginx (apt-get install nginx, or KEYGATE_TEST_NGINX)'].filter(Boolean)
const KEYS = Array.from({ length: 6 }, (_, i) => `sk-cluster-recipe-upstream-${String(i).padStart(4, '0')}-abcdef${i}`)
const PROBE_KEY = 'sk-cluster-recipe-probe-key-000000-zyxw'
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

type Outcome = { id: string; start: number; end: number; ok: boolean; error: string }

/** Workers sending chat completions (every other one streamed) through nginx until stopped. */
function steadyTraffic(baseURL: string, apiKey: string, workers = 6) {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0, timeout: 20_000 })
  const outcomes: Outcome[] = []
  let running = true
  const one = async (n: number) => {
    const id = randomUUID()
    const start = Date.now()
    try {
      const opts = { headers: { 'x-request-id': id } }
      if (n % 2) {
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }, opts)
        let text = ''
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''
        if (!text.startsWith('Hello from')) throw new Error(`stream ended early: "${text}"`)
      } else {
        const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, opts)
        if (!r.choices[0]?.message.content?.startsWith('Hello from')) throw new Error('no answer')
      }
      outcomes.push({ id, start, end: Date.now(), ok: true, error: '' })
    } catch (err) {
      outcomes.push({ id, start, end: Date.now(), ok: false, error: String((err as Error).message ?? err) })
    }
  }
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let n = w; running; n++) await one(n)
  })
  return {
    outcomes,
    async stop() { running = false; await Promise.all(loops); return outcomes },
  }
}

async function requestsServed(s: RunningServer): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text()
  return parsePrometheus(text).samples.filter(x => x.name === 'keygate_requests_total').reduce((a, x) => a + x.value, 0)
}

// CI runs every suite (scripts/test.mjs): a CI machine without nginx fails here instead of skipping.
describe.runIf(!!process.env.CI && missing.length > 0)('cluster recipe prerequisites', () => {
  it('are installed in CI', () => { throw new Error(`the cluster suite needs ${missing.join(', ')}`) })
})

describe.skipIf(missing.length > 0)(`cluster recipe: nginx, three instances, MariaDB, Redis${missing.length ? ` (skipped: needs ${missing.join(', ')})` : ''}`, () => {
  let mock: MockUpstream
  let nginx: Nginx
  let dir = ''
  let drop: (() => Promise<void>) | undefined
  let env: Record<string, string> = {}
  const ports: number[] = []
  const instances: RunningServer[] = []
  let proxyKey = ''
  let rpmKey = ''
  let probeKey = ''
  let groupId = 0
  const start = (i: number) => startServer({ env: { ...env, PORT: String(ports[i]) }, dataDir: join(dir, `instance-${i}`) })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keygate-cluster-'))
    mock = await startMockUpstream()
    // Streams take ~150 ms, so every instance has requests in flight when one is stopped.
    mock.setDefault({ chunks: 3, intervalMs: 50 })
    mock.onKey(PROBE_KEY, { status: 503 })
    const db = await createMysqlDatabase('cluster')
    drop = db.drop
    env = {
      DATABASE_DSN: db.url, REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: `kg-cluster-${randomUUID().slice(0, 8)}:`,
      ENCRYPTION_KEY: 'cluster-recipe-encryption-key-0123', TRUST_PROXY: 'true', SHUTDOWN_TIMEOUT: '10',
    }
    for (let i = 0; i < 3; i++) ports.push(await freePort())
    instances[0] = await start(0)
    const seeded = await seed(instances[0], [
      { name: 'main', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-*'], keys: KEYS, config: { ban_status_codes: '401' } },
      { name: 'probe', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: [], keys: [PROBE_KEY] },
    ], [{ name: 'traffic', groups: ['main'] }, { name: 'rpm', groups: ['main'], rpm: 20 }, { name: 'probe', groups: ['probe'] }])
    ;[proxyKey, rpmKey, probeKey] = seeded.proxyKeys as [string, string, string]
    groupId = seeded.groupIds.main!
    ;[instances[1], instances[2]] = await Promise.all([start(1), start(2)])
    nginx = await startNginx(join(dir, 'nginx'), await freePort(), ports)
  }, 120_000)

  afterAll(async () => {
    await nginx?.stop()
    const out = instances.map(s => s?.output() ?? '').join('')
    await Promise.all(instances.map(s => s?.stop()))
    await mock?.close()
    await drop?.()
    if (dir) rmSync(dir, { recursive: true, force: true })
    for (const k of [...KEYS, PROBE_KEY]) expect(out.includes(k)).toBe(false)
  })

  it('every instance serves, and the request log has the client address nginx saw, not a forged one', async () => {
    const before = await Promise.all(instances.map(requestsServed))
    const traffic = steadyTraffic(nginx.url, proxyKey)
    // Until each instance has served a few (bounded: a loaded machine serves slowly).
    let after = before
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      await sleep(500)
      after = await Promise.all(instances.map(requestsServed))
      if (after.every((n, i) => n - before[i]! >= 5)) break
    }
    const outcomes = await traffic.stop()
    expect(outcomes.filter(o => !o.ok)).toEqual([])
    for (let i = 0; i < 3; i++) expect(after[i]! - before[i]!, `instance ${i}`).toBeGreaterThanOrEqual(5)

    const r = await fetch(`${nginx.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'authorization': `Bearer ${proxyKey}`, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    })
    expect(r.status).toBe(200)
    await r.text()
    let rows: any[] = []
    for (let i = 0; i < 40 && !rows.length; i++) {
      await sleep(100)
      rows = (await instances[0]!.api('GET', '/api/logs?model=gpt-4o&pageSize=5')).body.items
    }
    expect(rows.map(x => x.ip)).toEqual(['127.0.0.1'])
  })

  it('the console works through nginx: a session from one instance, a change from the console\'s own origin on another', async () => {
    const login = await fetch(`${nginx.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'origin': nginx.url }, body: JSON.stringify({ authKey: 'test-admin-key-0123456789' }),
    })
    expect(login.status).toBe(200)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const patch = (origin: string) => fetch(`${nginx.url}/api/settings`, {
      method: 'PATCH', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify({ app_url: nginx.url }),
    })
    for (let i = 0; i < 3; i++) expect((await patch(nginx.url)).status).toBe(200)
    expect((await patch('https://evil.example')).status).toBe(403)
  })

  it('a key banned through one instance is skipped by all within 1 s', async () => {
    const traffic = steadyTraffic(nginx.url, proxyKey)
    await sleep(500)
    const banned = KEYS[0]!
    const bannedAt = Date.now()
    mock.onKey(banned, { status: 401 })
    const refused = () => mock.requests.find(r => r.key === banned && r.receivedAt >= bannedAt)
    await mock.waitFor(() => !!refused(), 5000)
    const first = refused()!.receivedAt
    await sleep(2500)
    const outcomes = await traffic.stop()
    const late = mock.requests.filter(r => r.key === banned && r.receivedAt > first + 1000)
    expect(late.length).toBe(0)
    // Failover hid the ban from every client.
    expect(outcomes.filter(o => !o.ok)).toEqual([])
    const row = (await keyRows(instances[2]!, groupId)).find((k: any) => banned.endsWith(k.masked.slice(-4)))
    expect(row.status).toBe('invalid')
  })

  it('a settings change through one instance is in force on all within 1 s', async () => {
    const attemptsPerRequest = async (s: RunningServer) => {
      const before = mock.requests.filter(r => r.key === PROBE_KEY).length
      const r = await fetch(`${s.url}/proxy/probe/v1/chat/completions`, {
        method: 'POST', headers: { 'authorization': `Bearer ${probeKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      })
      expect(r.status).toBe(503)
      await r.text()
      return mock.requests.filter(x => x.key === PROBE_KEY).length - before
    }
    const traffic = steadyTraffic(nginx.url, proxyKey)
    for (const s of instances) expect(await attemptsPerRequest(s)).toBe(4)
    expect((await instances[0]!.api('PATCH', '/api/settings', { max_retries: 1 })).status).toBe(200)
    await sleep(1000)
    for (const s of instances) expect(await attemptsPerRequest(s)).toBe(2)
    expect((await traffic.stop()).filter(o => !o.ok)).toEqual([])
    await instances[0]!.api('PATCH', '/api/settings', { max_retries: 3 })
  })

  it('a proxy key\'s rpm is exact across the instances', async () => {
    // The window is the wall-clock minute: keep the burst inside one.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 200)
    const client = new OpenAI({ baseURL: `${nginx.url}/v1`, apiKey: rpmKey, maxRetries: 0 })
    const results = await Promise.all(Array.from({ length: 35 }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).then(() => 200, (e: any) => e.status as number)))
    expect(results.filter(s => s === 200).length).toBe(20)
    expect(results.filter(s => s === 429).length).toBe(15)
    const served = nginx.accessLog().filter(l => l.status === 200 || l.status === 429)
    expect(new Set(served.slice(-35).flatMap(l => l.upstreams)).size).toBe(3)
  })

  it('SIGKILL on one instance costs only requests in flight on it; the others keep serving', async () => {
    const victim = instances[2]!
    const victimAddr = `127.0.0.1:${ports[2]}`
    const traffic = steadyTraffic(nginx.url, proxyKey, 9)
    await sleep(1500)
    const killedAt = Date.now()
    victim.process.kill('SIGKILL')
    const servedAfter = () => traffic.outcomes.filter(o => o.ok && o.start > killedAt + 100).length
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && servedAfter() < 20;) await sleep(250)
    const outcomes = await traffic.stop()
    const failed = outcomes.filter(o => !o.ok)
    const log = new Map(nginx.accessLog().map(l => [l.requestId, l]))
    for (const f of failed) {
      // Lost requests were on the killed instance, and had started before it died.
      expect(f.start, f.error).toBeLessThanOrEqual(killedAt)
      expect(log.get(f.id)?.upstreams.at(-1), f.error).toBe(victimAddr)
    }
    expect(failed.length).toBeLessThanOrEqual(9)
    expect(servedAfter()).toBeGreaterThanOrEqual(20)
    await victim.stop()
    instances[2] = await start(2)
  }, 60_000)

  it('a rolling restart (SIGTERM, one instance at a time) loses no request', async () => {
    const traffic = steadyTraffic(nginx.url, proxyKey)
    await sleep(500)
    for (let i = 0; i < 3; i++) {
      expect(await instances[i]!.stop('SIGTERM')).toBe(0)
      instances[i] = await start(i)
      // Let nginx's fail_timeout for the restarted instance pass before the next goes down.
      await sleep(1500)
    }
    await sleep(500)
    const outcomes = await traffic.stop()
    expect(outcomes.filter(o => !o.ok)).toEqual([])
    expect(outcomes.length).toBeGreaterThan(20)
  }, 120_000)
})
