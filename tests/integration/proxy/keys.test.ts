import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'
import { createRecorder } from '../../support/recorder'

/** Rotation, failover and the key state machine, seen from the client and from the upstream. */
const keysOf = (group: string, n: number) => Array.from({ length: n }, (_, i) => `sk-${group}-upstream-key-abcdefgh-${1000 + i}`)
const K = { rot: keysOf('rot', 3), ban: keysOf('ban', 3), cool: keysOf('cool', 2), back: keysOf('back', 2), five: keysOf('five', 2), all: keysOf('all', 2), none: keysOf('none', 1), b402: keysOf('b402', 2), rpm: keysOf('rpm', 2) }
const ALL_KEYS = Object.values(K).flat()
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'rot', channel: 'openai', upstreams: up, keys: K.rot },
    { name: 'ban', channel: 'openai', upstreams: up, keys: K.ban, config: { blacklist_threshold: 3 } },
    { name: 'cool', channel: 'openai', upstreams: up, keys: K.cool },
    { name: 'back', channel: 'openai', upstreams: up, keys: K.back, config: { blacklist_threshold: 1 } },
    { name: 'five', channel: 'openai', upstreams: up, keys: K.five, config: { blacklist_threshold: 1 } },
    { name: 'all', channel: 'openai', upstreams: up, keys: K.all, config: { max_retries: 3 } },
    { name: 'none', channel: 'anthropic', upstreams: up, keys: K.none, config: { blacklist_threshold: 1 } },
    { name: 'b402', channel: 'openai', upstreams: up, keys: K.b402, config: { ban_status_codes: '402', blacklist_threshold: 100 } },
    { name: 'rpm', channel: 'openai', upstreams: up, keys: K.rpm, config: { key_rpm: 2 } },
  ])
})
beforeEach(() => mock.reset())
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(ALL_KEYS, [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

async function chat(group: string) {
  const r = await rec.fetch(`${s.server.url}/proxy/${group}/v1/chat/completions`, {
    method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  })
  return { status: r.status, body: await r.json() as any, headers: r.headers }
}

const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>())

async function statusOf(group: string, secret: string) {
  const rows = await keyRows(s.server, s.groupIds[group]!)
  return rows.find((r: any) => r.masked === maskSecret(secret))
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > end) return v
    await sleep(50)
  }
}

describe('key rotation and failover', () => {
  it('3 keys over 30 requests are used 10 times each', async () => {
    for (let i = 0; i < 30; i++) expect((await chat('rot')).status).toBe(200)
    expect([...count(mock.keysUsed()).values()]).toEqual([10, 10, 10])
  })

  it('a 401 key is banned after blacklist_threshold failures while every client request succeeds', async () => {
    const bad = K.ban[0]!
    mock.onKey(bad, { status: 401 })
    for (let i = 0; i < 30; i++) {
      const r = await chat('ban')
      expect(r.status).toBe(200)
    }
    expect(count(mock.keysUsed()).get(bad)).toBe(3)
    const row = await eventually(() => statusOf('ban', bad), r => r?.status === 'invalid')
    expect(row).toMatchObject({ status: 'invalid' })
  })

  it('a ban status makes a key invalid at once', async () => {
    mock.onKey(K.b402[0]!, { status: 402 })
    for (let i = 0; i < 6; i++) expect((await chat('b402')).status).toBe(200)
    expect(count(mock.keysUsed()).get(K.b402[0]!)).toBe(1)
  })

  it('a 429 with Retry-After: 2 cools the key for about 2 s', async () => {
    const hot = K.cool[0]!
    mock.onKey(hot, { status: 429, headers: { 'retry-after': '2' }, times: 1 })
    const t0 = Date.now()
    for (let i = 0; i < 4; i++) expect((await chat('cool')).status).toBe(200)
    expect(count(mock.keysUsed()).get(hot)).toBe(1)
    // The state reaches the database asynchronously (batched write-back), within a second.
    const cooling = await eventually(() => statusOf('cool', hot), r => r?.status === 'cooling', 1500)
    expect(cooling?.status).toBe('cooling')
    while (Date.now() - t0 < 1700) { await chat('cool'); await sleep(100) }
    expect(count(mock.keysUsed()).get(hot)).toBe(1)
    await sleep(Math.max(0, t0 + 2300 - Date.now()))
    for (let i = 0; i < 4; i++) await chat('cool')
    expect(count(mock.keysUsed()).get(hot)).toBeGreaterThan(1)
  })

  it('a key validated back is used again', async () => {
    const k = K.back[0]!
    mock.onKey(k, { status: 401 })
    for (let i = 0; i < 4; i++) expect((await chat('back')).status).toBe(200)
    const row = await eventually(() => statusOf('back', k), r => r?.status === 'invalid')
    expect(row.status).toBe('invalid')
    mock.reset()
    const v = await s.server.api('POST', `/api/keys/${row.id}/test`)
    expect(v.body).toMatchObject({ ok: true })
    await eventually(() => statusOf('back', k), r => r?.status === 'active')
    await sleep(200)
    for (let i = 0; i < 4; i++) await chat('back')
    expect(count(mock.keysUsed()).get(k)).toBeGreaterThanOrEqual(2)
  })

  it('upstream 5xx fails over without blaming the key', async () => {
    const flaky = K.five[0]!
    mock.onKey(flaky, { status: 500 })
    for (let i = 0; i < 10; i++) expect((await chat('five')).status).toBe(200)
    // Two keys alternate, so the flaky one is tried first on every request. blacklist_threshold
    // is 1 here: had one 500 counted against it, it would have left the rotation after one use.
    expect(count(mock.keysUsed()).get(flaky)).toBe(10)
    expect((await statusOf('five', flaky))?.status).toBe('active')
  })

  it('when every attempt fails the client gets the last upstream error, after max_retries + 1 attempts', async () => {
    mock.setDefault({ status: 503 })
    const r = await chat('all')
    expect(r.status).toBe(503)
    expect(r.body.error.message).toContain('mock failure 503')
    expect(mock.requests.length).toBe(4)
  })

  it('every attempt of one request is logged under one request id, with the client and channel APIs', async () => {
    mock.setDefault({ status: 503 })
    await chat('all')
    await chat('all')
    const finals = await eventually(() => s.server.api('GET', `/api/logs?groupId=${s.groupIds.all}&type=final&pageSize=1`),
      r => r.body.items.length > 0 && r.body.items[0].status === 503)
    const last = finals.body.items[0]
    expect(last.requestId).toMatch(/^[0-9a-z]{21}$/)
    const chain = await eventually(() => s.server.api('GET', `/api/logs?requestId=${last.requestId}`), r => r.body.total === 4)
    expect(chain.body.items.map((r: any) => r.type).sort()).toEqual(['final', 'retry', 'retry', 'retry'])
    expect(new Set(chain.body.items.map((r: any) => r.keyId)).size).toBe(2)
    for (const r of chain.body.items) expect({ clientApi: r.clientApi, channelApi: r.channelApi, cost: r.cost }).toEqual({ clientApi: 'openai', channelApi: 'openai', cost: 0 })
    // The group's log holds both failed requests: 8 attempts or more, of which the chain is
    // exactly the 4 with its request id.
    const other = await eventually(() => s.server.api('GET', `/api/logs?groupId=${s.groupIds.all}&pageSize=500`), r => r.body.total >= 8)
    expect(other.body.items.filter((r: any) => r.requestId === last.requestId)).toHaveLength(4)
  })

  it('no usable key: 503 in the caller\'s error shape', async () => {
    mock.onKey(K.none[0]!, { status: 401 })
    const ask = () => rec.fetch(`${s.server.url}/proxy/none/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': s.proxyKeys[0]!, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 1, messages: [] }),
    })
    // The upstream refuses the only key: that is the pool's problem, not the client's key.
    const first = await ask()
    expect(first.status).toBe(503)
    expect(await first.json()).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('401') } })
    const r = await ask()
    expect(r.status).toBe(503)
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  })

  it('skips keys over key_rpm, and answers 429 with Retry-After once every key is over it (queue_timeout_ms 0)', async () => {
    if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 50)
    for (let i = 0; i < 4; i++) expect((await chat('rpm')).status).toBe(200)
    expect([...count(mock.keysUsed()).values()]).toEqual([2, 2])
    const r = await chat('rpm')
    expect(r.status).toBe(429)
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(r.body.error.message).toContain('pacing limit')
  })

  it('/metrics shows keys by state, requests and attempts per group', async () => {
    const text = await (await fetch(`${s.server.url}/metrics`)).text()
    expect(text).toMatch(/keygate_keys\{group="ban",state="invalid"\} 1/)
    expect(text).toMatch(/keygate_keys\{group="ban",state="active"\} 2/)
    expect(text).toMatch(/keygate_requests_total\{[^}]*group="rot"[^}]*status="200"[^}]*\} 30/)
    expect(text).toMatch(/keygate_attempts_total\{[^}]*group="ban"[^}]*outcome="retry"[^}]*\} 3/)
    rec.add(text)
  })
})
