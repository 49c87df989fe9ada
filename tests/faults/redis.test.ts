import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecret } from '../../shared/mask'
import { createMysqlDatabase } from '../support/backends'
import { testEnv } from '../support/env'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { hasBinary, startPrivateRedis, type PrivateService } from '../support/privateServices'
import { keyRows, seed, type Seeded } from '../support/proxySeed'
import { startServer, type RunningServer } from '../support/server'
import { steadyTraffic } from '../support/traffic'

/**
 * Fault matrix, storage row: Redis stopped for 30 s and started again, in cluster mode (two
 * instances on one MariaDB database and a private Redis). Expected: both instances serve every
 * proxy request meanwhile; /ready stays 200 and says `redis: "unreachable"`; no key changes
 * state; once Redis is back, /ready says `ok` and the instances share key states again (a key
 * disabled on one is skipped by the other within a second), without restarting anything.
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 30_000)
const enabled = !!testEnv.mysqlUrl && !!testEnv.redisUrl && hasBinary('redis-server')
const KEYS = ['sk-fault-redis-upstream-aaaa-00001', 'sk-fault-redis-upstream-bbbb-00002']
let redis: PrivateService
let mock: MockUpstream
let a: Seeded
let b: RunningServer
let drop: (() => Promise<void>) | undefined
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const ready = async (url: string) => { const r = await fetch(`${url}/ready`); return { status: r.status, body: await r.json() as any } }
const reason = !testEnv.mysqlUrl || !testEnv.redisUrl ? 'set KEYGATE_TEST_MYSQL_URL and KEYGATE_TEST_REDIS_URL to run it' : 'redis-server is not installed'

describe.skipIf(!enabled)(`fault matrix: Redis stopped for 30 s (cluster)${enabled ? '' : ` (skipped: ${reason})`}`, () => {
  beforeAll(async () => {
    redis = await startPrivateRedis()
    mock = await startMockUpstream()
    const database = await createMysqlDatabase('fault_redis')
    drop = database.drop
    const env = { DATABASE_DSN: database.url, REDIS_DSN: redis.url, ENCRYPTION_KEY: 'fault-test-encryption-key-0123456' }
    a = await seed(await startServer({ env }), [{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: KEYS }])
    b = await startServer({ env })
  }, 120_000)
  afterAll(async () => {
    await b?.stop()
    await a?.server.stop()
    await mock?.close()
    await redis?.destroy()
    await drop?.()
  })

  it('both instances serve throughout, /ready reports Redis honestly, key states are shared again afterwards', async () => {
    expect((await ready(b.url)).body).toMatchObject({ status: 'ready', redis: 'ok' })
    const pk = a.proxyKeys[0]!
    const ta = steadyTraffic(`${a.server.url}/v1`, pk)
    const tb = steadyTraffic(`${b.url}/v1`, pk)
    await sleep(1000)
    await redis.stop()
    const outageStarted = Date.now()
    await sleep(3000)
    for (const url of [a.server.url, b.url]) {
      const r = await ready(url)
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ status: 'degraded', redis: 'unreachable' })
    }
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)))
    await redis.start()
    await sleep(1500)
    for (const t of [await ta.stop(), await tb.stop()]) {
      expect(t.failures).toEqual([])
      expect(t.served).toBe(t.sent)
    }

    // Recovered: /ready is ok on both, and a key disabled through one instance is skipped by the other.
    const end = Date.now() + 20_000
    while (Date.now() < end && (await ready(b.url)).body.redis !== 'ok') await sleep(250)
    expect((await ready(a.server.url)).body).toMatchObject({ status: 'ready', redis: 'ok' })
    expect((await ready(b.url)).body).toMatchObject({ status: 'ready', redis: 'ok' })
    const rows = await keyRows(a.server, a.groupIds.g!)
    for (const k of rows) expect({ status: k.status, consecutiveFailures: k.consecutiveFailures }).toEqual({ status: 'active', consecutiveFailures: 0 })
    const first = rows.find(k => k.masked === maskSecret(KEYS[0]!))
    expect((await a.server.api('PATCH', `/api/keys/${first.id}`, { status: 'disabled' })).status).toBe(200)
    await sleep(1000)
    mock.reset()
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${b.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${pk}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}' })
      expect(r.status).toBe(200)
    }
    expect(mock.keysUsed()).toEqual([KEYS[1], KEYS[1], KEYS[1], KEYS[1]])
  }, 180_000)
})
