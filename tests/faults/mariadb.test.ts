import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testEnv } from '../support/env'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { hasBinary, startPrivateMariadb, type PrivateService } from '../support/privateServices'
import { keyRows, seed, type Seeded } from '../support/proxySeed'
import { startServer } from '../support/server'
import { steadyTraffic } from '../support/traffic'

/**
 * Fault matrix, storage row: MariaDB stopped for 30 s and started again (a private instance: the
 * shared one serves the other suites). Expected: the proxy serves every request meanwhile (its hot
 * path does no database I/O); /ready stays 200 and says `database: "unreachable"`; request-log
 * rows wait in memory and are all written once MariaDB is back (the writer retries a batch for
 * 60 s); no key changes state; after the restart /ready says `ok` again, without restarting Keygate.
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 30_000)
const enabled = !!testEnv.mysqlUrl && hasBinary('mariadbd')
const KEY = 'sk-fault-mariadb-upstream-00000001'
let db: PrivateService
let mock: MockUpstream
let s: Seeded
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const ready = async () => { const r = await fetch(`${s.server.url}/ready`); return { status: r.status, body: await r.json() as any } }

describe.skipIf(!enabled)(`fault matrix: MariaDB stopped for 30 s${enabled ? '' : ` (skipped: ${testEnv.mysqlUrl ? 'mariadbd is not installed' : 'set KEYGATE_TEST_MYSQL_URL to run it'})`}`, () => {
  beforeAll(async () => {
    db = await startPrivateMariadb()
    mock = await startMockUpstream()
    const server = await startServer({ env: { DATABASE_DSN: db.url, ENCRYPTION_KEY: 'fault-test-encryption-key-0123456' } })
    s = await seed(server, [{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [KEY] }])
  }, 120_000)
  afterAll(async () => {
    await s?.server.stop()
    await mock?.close()
    await db?.destroy()
  })

  it('the proxy serves throughout, /ready reports the database honestly, no log row is lost', async () => {
    expect((await ready()).body).toMatchObject({ status: 'ready', database: 'ok' })
    const before = (await s.server.api('GET', '/api/logs?type=final&pageSize=1')).body.total
    const traffic = steadyTraffic(`${s.server.url}/v1`, s.proxyKeys[0]!)
    await sleep(1000)
    await db.stop()
    const outageStarted = Date.now()
    await sleep(3000)
    const during = await ready()
    expect(during.status).toBe(200)
    expect(during.body).toMatchObject({ status: 'degraded', database: 'unreachable' })
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)))
    await db.start()
    await sleep(1000)
    const result = await traffic.stop()
    expect(result.failures).toEqual([])
    expect(result.served).toBe(result.sent)

    // Recovered without a restart: /ready is ok again, and every request of the window is logged.
    const end = Date.now() + 40_000
    let logged = 0
    while (Date.now() < end) {
      const r = await s.server.api('GET', '/api/logs?type=final&pageSize=1')
      logged = r.status === 200 ? r.body.total - before : 0
      if (logged >= result.sent) break
      await sleep(500)
    }
    expect(logged).toBe(result.sent)
    expect((await ready()).body).toMatchObject({ status: 'ready', database: 'ok' })
    const [k] = await keyRows(s.server, s.groupIds.g!)
    expect({ status: k.status, consecutiveFailures: k.consecutiveFailures }).toEqual({ status: 'active', consecutiveFailures: 0 })
  }, 180_000)
})
