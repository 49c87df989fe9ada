import { Client } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { parsePrometheus } from '../../support/prometheus'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'
import { skipReason, testEnv } from '../../support/env'
import { TEST_AUTH_KEY } from '../../support/server'
import { clientPerWorker, perWorker, sample, scrape, workerPids, type WorkerClient } from '../../support/workers'

/**
 * WORKERS=2 on the embedded defaults (SQLite, no Redis): what one worker does, the other sees.
 * Each check talks to one worker through a connection pinned to it.
 */

const KEYS = ['sk-workers-upstream-key-aaaaaa-0001', 'sk-workers-upstream-key-bbbbbb-0002', 'sk-workers-upstream-key-cccccc-0003']
const BAN_KEYS = ['sk-workers-ban-key-dddddd-0004', 'sk-workers-ban-key-eeeeee-0005']
const SLOW_KEY = 'sk-workers-slow-key-ffffff-0006'
const RPM_KEY = 'sk-workers-rpm-key-gggggg-0007'
const ADMIN = { authorization: `Bearer ${TEST_AUTH_KEY}` }
/** Two workers boot one after the other on a busy machine: more than one process's 30 s. */
const BOOT_MS = 90_000
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

let mock: MockUpstream
let s: Seeded
let clients: WorkerClient[] = []

/** `n` requests at once, each on its own connection (so they spread over the workers). */
async function concurrently(url: string, n: number, path: string, proxyKey: string) {
  const before = perWorker(await scrape(s.server))
  const clients = Array.from({ length: n }, () => new Client(url))
  try {
    const answers = await Promise.all(clients.map(async (c) => {
      const r = await c.request({ method: 'POST', path, headers: { 'authorization': `Bearer ${proxyKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }) })
      await r.body.text()
      return r.statusCode
    }))
    const after = perWorker(await scrape(s.server))
    return { statuses: answers.sort(), workersHit: Object.keys(after).filter(w => after[w]! > (before[w] ?? 0)).sort() }
  } finally { await Promise.all(clients.map(c => c.close())) }
}

const chat = (c: Pick<WorkerClient, 'call'>, group: string, proxyKey: string) =>
  c.call('POST', `/proxy/${group}/v1/chat/completions`, { headers: { authorization: `Bearer ${proxyKey}` }, body: { model: 'gpt-4o-mini', messages: [] } })

describe('WORKERS=2 without Redis', () => {
  beforeAll(async () => {
    mock = await startMockUpstream()
    const up = [{ url: mock.url, weight: 1 }]
    s = await startSeeded(
      [
        { name: 'w', channel: 'openai', upstreams: up, keys: KEYS },
        { name: 'ban', channel: 'openai', upstreams: up, keys: BAN_KEYS, config: { blacklist_threshold: 1 } },
        { name: 'slow', channel: 'openai', upstreams: up, keys: [SLOW_KEY] },
        { name: 'keyrpm', channel: 'openai', upstreams: up, keys: [RPM_KEY], config: { key_rpm: 3 } },
      ],
      // The seed's readiness poll uses the last key: not the limited one, whose minute must start empty.
      [{ name: 'probe' }, { name: 'limited', rpm: 10 }, { name: 'two-at-once', maxConcurrency: 2 }, { name: 'last' }],
      { env: { WORKERS: '2' }, timeoutMs: BOOT_MS },
    )
    clients = await pinned()
  }, BOOT_MS + 30_000)
  afterAll(async () => {
    for (const c of clients) await c.close()
    await s?.server.stop()
    await mock?.close()
    for (const k of [...KEYS, ...BAN_KEYS, SLOW_KEY, RPM_KEY]) expect(s?.server.output().includes(k)).toBe(false)
  })

  const pinned = () => clientPerWorker(s.server, 2, async (c) => { expect((await chat(c, 'w', s.proxyKeys[0]!)).status).toBe(200) })

  it('runs two worker processes under the primary, and requests land on both', async () => {
    expect(workerPids(s.server)).toHaveLength(2)
    const samples = await scrape(s.server)
    expect(sample(samples, 'keygate_workers')).toBe(2)
    const counts = perWorker(samples)
    expect(Object.keys(counts).sort()).toEqual(['1', '2'])
    expect(counts['1']).toBeGreaterThan(0)
    expect(counts['2']).toBeGreaterThan(0)
  })

  it('/metrics shows the sum over the workers, whichever worker takes the scrape', async () => {
    const total = (samples: Awaited<ReturnType<typeof scrape>>) =>
      samples.filter(x => x.name === 'keygate_requests_total' && x.labels.group === 'w' && x.labels.status === '200').reduce((n, x) => n + x.value, 0)
    const before = total(await scrape(s.server))
    for (let i = 0; i < 5; i++) for (const c of clients) expect((await chat(c, 'w', s.proxyKeys[0]!)).status).toBe(200)
    for (const c of clients) {
      const r = await c.call('GET', '/metrics')
      const samples = parsePrometheus(r.body as string).samples
      expect(total(samples)).toBe(before + 10)
      // Every worker sees the same three keys: counted once, not once per worker.
      expect(sample(samples, 'keygate_keys', { group: 'w', state: 'active' })).toBe(3)
    }
  })

  it('a key cooled by one worker is skipped by the other within 50 ms', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    mock.reset()
    mock.onKey(KEYS[0]!, { status: 429, headers: { 'retry-after': '30' } })
    for (let i = 0; i < 3; i++) expect((await chat(a, 'w', s.proxyKeys[0]!)).status).toBe(200)
    expect(mock.keysUsed()).toContain(KEYS[0])
    await sleep(50)
    mock.reset()
    for (let i = 0; i < 9; i++) expect((await chat(b, 'w', s.proxyKeys[0]!)).status).toBe(200)
    expect(mock.keysUsed()).not.toContain(KEYS[0])
  })

  it('a key banned by one worker is skipped by the other within 50 ms', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    mock.reset()
    mock.onKey(BAN_KEYS[0]!, { status: 401 })
    for (let i = 0; i < 2; i++) expect((await chat(a, 'ban', s.proxyKeys[0]!)).status).toBe(200)
    expect(mock.keysUsed()).toContain(BAN_KEYS[0])
    await sleep(50)
    mock.reset()
    for (let i = 0; i < 6; i++) expect((await chat(b, 'ban', s.proxyKeys[0]!)).status).toBe(200)
    expect([...new Set(mock.keysUsed())]).toEqual([BAN_KEYS[1]])
    // The database row follows once the key state writer's batch is out.
    let status = ''
    for (let i = 0; i < 100 && status !== 'invalid'; i++) {
      status = (await keyRows(s.server, s.groupIds.ban!)).find((r: any) => r.masked === maskSecret(BAN_KEYS[0]!))?.status
      if (status !== 'invalid') await sleep(50)
    }
    expect(status).toBe('invalid')
  })

  it('a key an admin disables through one worker is skipped by the other within 50 ms', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    const row = (await keyRows(s.server, s.groupIds.w!)).find((r: any) => r.masked === maskSecret(KEYS[1]!))
    expect((await a.call('PATCH', `/api/keys/${row.id}`, { headers: ADMIN, body: { status: 'disabled' } })).status).toBe(200)
    await sleep(50)
    mock.reset()
    for (let i = 0; i < 6; i++) expect((await chat(b, 'w', s.proxyKeys[0]!)).status).toBe(200)
    expect([...new Set(mock.keysUsed())]).toEqual([KEYS[2]])
  })

  it('a proxy key\'s requests per minute are counted exactly across the workers', async () => {
    // The count is per clock minute: start well inside one.
    if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 50)
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) for (const c of clients) statuses.push((await chat(c, 'w', s.proxyKeys[1]!)).status)
    expect(statuses.filter(x => x === 200)).toHaveLength(10)
    expect(statuses.filter(x => x === 429)).toHaveLength(6)
  })

  it('an upstream key\'s requests per minute (key_rpm) are counted exactly across the workers', async () => {
    if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 50)
    mock.reset()
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) for (const c of clients) statuses.push((await chat(c, 'keyrpm', s.proxyKeys[0]!)).status)
    expect(statuses.filter(x => x === 200)).toHaveLength(3)
    expect(mock.keysUsed().filter(k => k === RPM_KEY)).toHaveLength(3)
  })

  it('a proxy key\'s concurrency limit holds across the workers', async () => {
    mock.onKey(SLOW_KEY, { delayMs: 600 })
    const { statuses, workersHit } = await concurrently(s.server.url, 6, '/proxy/slow/v1/chat/completions', s.proxyKeys[2]!)
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429])
    // Both workers took requests (each counting alone would have let two through).
    expect(workersHit).toEqual(['1', '2'])
    mock.reset()
  })

  it('a settings change made through one worker is in force on the other', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    expect((await a.call('PATCH', '/api/settings', { headers: ADMIN, body: { cooldown_seconds: 321 } })).status).toBe(200)
    let value: unknown
    for (let i = 0; i < 20 && value !== 321; i++) {
      const r = await b.call('GET', '/api/settings', { headers: ADMIN })
      value = r.body.find((x: any) => x.key === 'cooldown_seconds')?.value
      if (value !== 321) await sleep(10)
    }
    expect(value).toBe(321)
  })

  it('an admin session from a login on one worker is valid on the other, and a logout on it ends it on both', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    expect((await b.call('GET', '/api/groups', { headers: { cookie: 'keygate_session=not-a-session' } })).status).toBe(401)
    const login = await a.call('POST', '/api/auth/login', { body: { authKey: TEST_AUTH_KEY } })
    expect(login.status).toBe(200)
    const cookie = String(login.headers['set-cookie']).split(';')[0]!
    expect((await b.call('GET', '/api/groups', { headers: { cookie } })).status).toBe(200)
    expect((await b.call('POST', '/api/auth/logout', { headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status).toBeLessThan(300)
    expect((await a.call('GET', '/api/groups', { headers: { cookie } })).status).toBe(401)
  })

  it('a task started on one worker shows its progress on the other', async () => {
    const [a, b] = clients as [WorkerClient, WorkerClient]
    const keys = Array.from({ length: 2000 }, (_, i) => `sk-workers-task-key-${String(i).padStart(6, '0')}`).join('\n')
    const started = await a.call('POST', `/api/groups/${s.groupIds.ban}/keys`, { headers: ADMIN, body: { keys } })
    expect(started.status).toBe(202)
    let task: any
    for (let i = 0; i < 200 && task?.state !== 'done'; i++) {
      task = (await b.call('GET', `/api/tasks/${started.body.taskId}`, { headers: ADMIN })).body
      if (task?.state !== 'done') await sleep(50)
    }
    expect(task).toMatchObject({ state: 'done', processed: 2000, total: 2000 })
  })

  it('a worker that dies is replaced, its requests in flight are the only ones lost, and the instance keeps serving', async () => {
    const before = workerPids(s.server)
    // Which process is worker 1: each worker logs its number and pid when ready.
    const pidOf = (slot: string) => Number([...s.server.output().matchAll(new RegExp(`worker ${slot} \\(pid (\\d+)\\) ready`, 'g'))].at(-1)?.[1])
    const dying = pidOf('1')
    expect(before.sort()).toEqual([dying, pidOf('2')].sort())
    mock.onKey(SLOW_KEY, { delayMs: 1500 })
    const [one, two] = clients as [WorkerClient, WorkerClient]
    const onDying = chat(one, 'slow', s.proxyKeys[0]!).then(r => r.status, () => 'lost')
    const onSurvivor = chat(two, 'slow', s.proxyKeys[0]!).then(r => r.status, () => 'lost')
    await sleep(300)
    process.kill(dying, 'SIGKILL')
    expect(await onDying).toBe('lost')
    expect(await onSurvivor).toBe(200)
    mock.reset()
    for (const c of clients) await c.close()
    let samples = await scrape(s.server)
    for (let i = 0; i < 300 && (sample(samples, 'keygate_worker_replacements_total') !== 1 || sample(samples, 'keygate_workers') !== 2); i++) {
      await sleep(100)
      samples = await scrape(s.server)
    }
    expect(sample(samples, 'keygate_worker_replacements_total')).toBe(1)
    const after = workerPids(s.server)
    expect(after).toHaveLength(2)
    expect(after).not.toContain(dying)
    expect(after).toContain(pidOf('2'))
    for (let i = 0; i < 600 && !/worker \d replaced/.test(s.server.output()); i++) await sleep(100)
    clients = await pinned()
    expect(clients.map(c => c.worker)).toEqual(['1', '2'])
    expect(s.server.output()).toMatch(/exited with signal SIGKILL; its in-flight requests are lost; starting a replacement/)
  }, 120_000)

  it('SIGTERM to the primary lets every worker finish its requests in flight, then exits 0', async () => {
    mock.onKey(SLOW_KEY, { delayMs: 1000 })
    const inFlight = clients.map(c => chat(c, 'slow', s.proxyKeys[0]!))
    await sleep(300)
    const pids = workerPids(s.server)
    const stopped = s.server.stop()
    expect((await Promise.all(inFlight)).map(r => r.status)).toEqual([200, 200])
    for (const c of clients) await c.close()
    clients = []
    expect(await stopped).toBe(0)
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
  })
})

describe('WORKERS=2: MAX_CONCURRENT_REQUESTS', () => {
  let mock2: MockUpstream
  let t: Seeded
  beforeAll(async () => {
    mock2 = await startMockUpstream()
    t = await startSeeded(
      [{ name: 'slow', channel: 'openai', upstreams: [{ url: mock2.url, weight: 1 }], keys: [SLOW_KEY] }],
      [{ name: 'wide', maxConcurrency: 100 }],
      { env: { WORKERS: '2', MAX_CONCURRENT_REQUESTS: '3' }, timeoutMs: BOOT_MS },
    )
  }, BOOT_MS + 30_000)
  afterAll(async () => {
    await t?.server.stop()
    await mock2?.close()
  })

  it('is the limit of the instance, not of each worker', async () => {
    mock2.onKey(SLOW_KEY, { delayMs: 600 })
    const clients = Array.from({ length: 8 }, () => new Client(t.server.url))
    try {
      const statuses = await Promise.all(clients.map(async (c) => {
        const r = await c.request({
          method: 'POST', path: '/proxy/slow/v1/chat/completions',
          headers: { 'authorization': `Bearer ${t.proxyKeys[0]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
        })
        await r.body.text()
        return r.statusCode
      }))
      expect(statuses.filter(x => x === 200)).toHaveLength(3)
      expect(statuses.filter(x => x === 429)).toHaveLength(5)
    } finally { await Promise.all(clients.map(c => c.close())) }
    // Freed again: the next requests get through.
    mock2.reset()
    const r = await fetch(`${t.server.url}/proxy/slow/v1/chat/completions`, {
      method: 'POST', headers: { 'authorization': `Bearer ${t.proxyKeys[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    })
    expect(r.status).toBe(200)
  })
})

describe.skipIf(!testEnv.redisUrl)(`WORKERS=2 with Redis${testEnv.redisUrl ? '' : ` (skipped: ${skipReason.redis})`}`, () => {
  let mock3: MockUpstream
  let r: Seeded
  beforeAll(async () => {
    mock3 = await startMockUpstream()
    r = await startSeeded(
      [{ name: 'w', channel: 'openai', upstreams: [{ url: mock3.url, weight: 1 }], keys: KEYS }],
      [{ name: 'probe' }, { name: 'limited', rpm: 6 }, { name: 'last' }],
      { env: { WORKERS: '2', REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: `kg-workers-${process.pid}-${Date.now()}:` }, timeoutMs: BOOT_MS },
    )
  }, BOOT_MS + 30_000)
  afterAll(async () => {
    await r?.server.stop()
    await mock3?.close()
  })

  it('workers use Redis directly, as instances do, and still count a proxy key\'s minute exactly', async () => {
    expect(r.server.output()).toMatch(/store: redis/)
    expect(r.server.output()).not.toMatch(/store: ipc/)
    if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 50)
    const workers = await clientPerWorker(r.server, 2, async (c) => { expect((await chat(c, 'w', r.proxyKeys[0]!)).status).toBe(200) })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) for (const c of workers) statuses.push((await chat(c, 'w', r.proxyKeys[1]!)).status)
      expect(statuses.filter(x => x === 200)).toHaveLength(6)
      expect(statuses.filter(x => x === 429)).toHaveLength(4)
    } finally { for (const c of workers) await c.close() }
  })
})
