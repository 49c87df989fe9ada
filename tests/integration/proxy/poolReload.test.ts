import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { sample, parsePrometheus } from '../../support/prometheus'
import { startSeeded, waitTask, type Seeded } from '../../support/proxySeed'
import { TEST_AUTH_KEY } from '../../support/server'

/**
 * A big group loads into the key pool while the instance keeps answering, and a change to one of
 * its keys reloads only that key. 200,000 keys keep the file around a minute; the engine's limits
 * (pages, slices) are the same for a million. How long /health and the proxy stall meanwhile, and
 * how soon a one-key change applies, are measured against their budgets by
 * bench/checks/pool-reload.mjs (`npm run bench:checks -- pool-reload`), not here.
 */
const N = Number(process.env.KEYGATE_TEST_POOL_KEYS ?? 200_000)
const MARK = ['sk-pool-marker-key-abcdefgh-0001', 'sk-pool-marker-key-abcdefgh-0002']
let mock: MockUpstream
let s: Seeded

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Polls a URL every `everyMs` and counts the answers and the ones that failed. */
function poller(url: string, everyMs: number, init?: RequestInit) {
  let stop = false, n = 0, failed = 0
  const loop = (async () => {
    while (!stop) {
      try {
        const r = await fetch(url, init)
        await r.arrayBuffer()
        if (r.status !== 200) failed++
      } catch { failed++ }
      n++
      await sleep(everyMs)
    }
  })()
  return { async stop() { stop = true; await loop; return { n, failed } } }
}

async function keyCount(state: string): Promise<number> {
  const r = await fetch(`${s.server.url}/metrics`)
  return sample(parsePrometheus(await r.text()).samples, 'keygate_keys', { group: 'big', state }) ?? 0
}

async function until(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t = Date.now()
  while (!(await pred())) {
    if (Date.now() - t > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await sleep(20)
  }
}

const rssMb = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.server.process.pid}/status`, 'utf8'))![1]) / 1024)

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded([{ name: 'big', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: MARK }], [{}], { env: { LOG_LEVEL: 'debug' } })
}, 60_000)
afterAll(async () => {
  await s?.server.stop()
  await mock?.close()
  const out = s?.server.output() ?? ''
  for (const k of MARK) expect(out).not.toContain(k)
})

const chatInit = () => ({
  method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
})

describe('key pools of a big group', () => {
  it(`load ${N.toLocaleString('en')} imported keys while /health and the proxy keep answering`, async () => {
    const keys = Array.from({ length: N }, (_, i) => `sk-pool-bulk-${String(i).padStart(8, '0')}-qrstuvwxyz`)
    const body = keys.join('\n')
    const rssBefore = rssMb()
    const health = poller(`${s.server.url}/health`, 20)
    const proxy = poller(`${s.server.url}/proxy/big/v1/chat/completions`, 50, chatInit())
    // Uploaded as a file, the way an admin imports this many: the server streams it in batches.
    const form = new FormData()
    form.append('file', new Blob([body], { type: 'text/plain' }), 'keys.txt')
    const r = await fetch(`${s.server.url}/api/groups/${s.groupIds.big}/keys`, { method: 'POST', headers: { authorization: `Bearer ${TEST_AUTH_KEY}` }, body: form })
    expect(r.status).toBe(202)
    const task = await waitTask(s.server, ((await r.json()) as any).taskId, 60_000 * Math.max(1, N / 200_000))
    expect(task.result.added).toBe(N)
    await until(async () => (await keyCount('active')) === N + 2, 30_000 * Math.max(1, N / 200_000))
    const h = await health.stop(), p = await proxy.stop()
    console.log(`${h.n} /health polls, ${p.n} proxy requests during the import and pool load; RSS ${rssBefore} -> ${rssMb()} MB`)
    expect(h.n).toBeGreaterThan(0)
    expect(p.n).toBeGreaterThan(0)
    expect(h.failed).toBe(0)
    expect(p.failed).toBe(0)
  }, 120_000 * Math.max(1, N / 200_000))

  it('reloads only the key an admin disables or deletes', async () => {
    const find = async (k: string) => (await s.server.api('GET', `/api/groups/${s.groupIds.big}/keys?q=${k}`)).body.items[0].id as number
    const [a, b] = [await find(MARK[0]!), await find(MARK[1]!)]
    const health = poller(`${s.server.url}/health`, 20)
    const mark = s.server.output().length

    expect((await s.server.api('PATCH', `/api/keys/${a}`, { status: 'disabled' })).status).toBe(200)
    await until(async () => (await keyCount('disabled')) === 1, 10_000)
    expect((await s.server.api('DELETE', `/api/keys/${b}`)).status).toBe(200)
    await until(async () => (await keyCount('active')) === N, 10_000)
    const h = await health.stop()
    expect(h.failed).toBe(0)

    // The engine says what it reloaded: one key each time, never the whole group.
    const reloads = s.server.output().slice(mark).split('\n').filter(l => l.includes('keys reloaded')).map(l => JSON.parse(l))
    expect(reloads.map(l => l.keys)).toEqual([1, 1])

    // Enabled again: back in rotation, still without a full reload.
    expect((await s.server.api('PATCH', `/api/keys/${a}`, { status: 'active' })).status).toBe(200)
    await until(async () => (await keyCount('disabled')) === 0 && (await keyCount('active')) === N + 1, 10_000)
  }, 60_000)

  it('reloads the whole group after an import, decrypting only the new key', async () => {
    const health = poller(`${s.server.url}/health`, 20)
    const mark = s.server.output().length
    const r = await s.server.api('POST', `/api/groups/${s.groupIds.big}/keys`, { keys: 'sk-pool-one-more-key-abcdefgh-0003' })
    expect(r.status).toBe(202)
    await waitTask(s.server, r.body.taskId)
    const reloadsSince = () => s.server.output().slice(mark).split('\n').filter(l => l.includes('keys reloaded')).map(l => JSON.parse(l))
    // The engine logs a reload once it is complete (deleted keys swept), a little after the new key is in.
    await until(async () => reloadsSince().length > 0, 30_000)
    const h = await health.stop()
    const reloads = reloadsSince()
    expect(await keyCount('active')).toBe(N + 2)
    expect(reloads.map(l => l.keys)).toEqual(['all'])
    expect(h.failed).toBe(0)
  }, 60_000)
})
