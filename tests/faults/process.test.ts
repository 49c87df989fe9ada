import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecret } from '../../shared/mask'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { keyRows, startSeeded } from '../support/proxySeed'
import { startServer } from '../support/server'

/**
 * Fault matrix, process rows (tests/faults/README.md).
 * - SIGTERM with 200 streams open: every stream finishes whole within SHUTDOWN_TIMEOUT; meanwhile
 *   /ready answers 503 (or the port no longer accepts) and a new request is refused cleanly (an
 *   error in the caller's shape, or a refused connection), never left hanging; exit code 0.
 * - SIGKILL and restart: key states and settings survive; of the request log, only the rows still
 *   buffered in memory (written every second) may be lost, and the next start logs how many;
 *   requests in flight on the killed process fail, nothing else.
 */
const KEY = 'sk-fault-process-upstream-00000001'
const BAD = 'sk-fault-process-upstream-bad-0002'
const OFF = 'sk-fault-process-upstream-off-0003'
let mock: MockUpstream
const dataDir = mkdtempSync(join(tmpdir(), 'keygate-fault-process-'))

beforeAll(async () => { mock = await startMockUpstream() })
afterAll(async () => { await mock?.close(); rmSync(dataDir, { recursive: true, force: true }) })

const headers = (pk: string) => ({ 'authorization': `Bearer ${pk}`, 'content-type': 'application/json' })
const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}) })

describe('fault matrix: process', () => {
  it('SIGTERM with 200 streams open: all finish, /ready says draining, new requests are refused cleanly, exit 0', async () => {
    const s = await startSeeded([{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [KEY] }], [{ maxConcurrency: 1000 }],
      { env: { SHUTDOWN_TIMEOUT: '15' } })
    mock.reset()
    mock.onKey(KEY, { chunks: 20, intervalMs: 150 })
    const streams = Array.from({ length: 200 }, async () => {
      const res = await fetch(`${s.server.url}/v1/chat/completions`, { method: 'POST', headers: headers(s.proxyKeys[0]!), body: body(true) })
      return { status: res.status, text: await res.text() }
    })
    await mock.waitFor(() => mock.requests.length === 200 && mock.requests.every(r => r.chunkTimes.length >= 1), 15_000)
    const signalled = Date.now()
    const exited = s.server.stop('SIGTERM')
    await new Promise(r => setTimeout(r, 300))
    // While draining: /ready is 503 (or nothing listens any more); a new request is refused cleanly.
    const ready = await fetch(`${s.server.url}/ready`).then(r => r.status, () => 'refused')
    expect([503, 'refused']).toContain(ready)
    const fresh = await fetch(`${s.server.url}/v1/chat/completions`, { method: 'POST', headers: { ...headers(s.proxyKeys[0]!), connection: 'close' }, body: body(false), signal: AbortSignal.timeout(5000) })
      .then(async r => ({ status: r.status, body: await r.json().catch(() => null) }), (e: Error) => ({ status: e.name === 'TimeoutError' ? 'hung' : 'refused', body: null }))
    if (fresh.status !== 'refused') {
      expect(fresh.status).toBe(503)
      expect(fresh.body).toMatchObject({ error: { message: expect.any(String) } })
    }
    const done = await Promise.all(streams)
    for (const d of done) {
      expect(d.status).toBe(200)
      expect(d.text.match(/"content"/g)?.length).toBe(20)
      expect(d.text.trimEnd().endsWith('data: [DONE]')).toBe(true)
    }
    expect(await exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(15_000 + 5000)
  }, 90_000)

  it('SIGKILL and restart: key states and settings survive; only buffered log rows are lost, and the next start counts them', async () => {
    const s = await startSeeded([{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [KEY, BAD, OFF], config: { blacklist_threshold: 1 } }],
      [{}], { dataDir })
    const pk = s.proxyKeys[0]!
    mock.reset()
    mock.onKey(BAD, { status: 401 })
    expect((await s.server.api('PATCH', '/api/settings', { max_retries: 7, cooldown_seconds: 90 })).status).toBe(200)
    const off = (await keyRows(s.server, s.groupIds.g!)).find(k => k.masked === maskSecret(OFF))
    expect((await s.server.api('PATCH', `/api/keys/${off.id}`, { status: 'disabled' })).status).toBe(200)
    let served = 0
    for (let i = 0; i < 20; i++) if ((await fetch(`${s.server.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: headers(pk), body: body(false) })).status === 200) served++
    expect(served).toBe(20)
    // Let the key states (500 ms batches) and the log (every second) reach the database; then
    // space log writes a minute apart (the write already scheduled comes first), so that the last
    // burst is still buffered when the process dies.
    await new Promise(r => setTimeout(r, 1500))
    expect((await s.server.api('PATCH', '/api/settings', { request_log_write_interval_seconds: 60 })).status).toBe(200)
    await new Promise(r => setTimeout(r, 1500))
    const written = (await s.server.api('GET', '/api/logs?type=final&pageSize=1')).body.total
    const burst = await Promise.all(Array.from({ length: 10 }, () => fetch(`${s.server.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: headers(pk), body: body(false) }).then(r => r.status, () => 0)))
    expect(burst.filter(x => x === 200)).toHaveLength(10)
    const killedPid = s.server.process.pid
    s.server.process.kill('SIGKILL')
    await new Promise(r => s.server.process.once('exit', r))

    const again = await startServer({ dataDir })
    try {
      const rows = await keyRows(again, s.groupIds.g!)
      expect(rows.find(k => k.masked === maskSecret(BAD))).toMatchObject({ status: 'invalid' })
      expect(rows.find(k => k.masked === maskSecret(OFF))).toMatchObject({ status: 'disabled' })
      expect(rows.find(k => k.masked === maskSecret(KEY))).toMatchObject({ status: 'active', consecutiveFailures: 0 })
      const settings = Object.fromEntries(((await again.api('GET', '/api/settings')).body as any[]).map(x => [x.key, x.value]))
      expect(settings).toMatchObject({ max_retries: 7, cooldown_seconds: 90 })
      const after = (await again.api('GET', '/api/logs?type=final&pageSize=1')).body.total
      // Everything written before the burst is there; the burst was buffered, and its loss is
      // reported at this start: exactly the answered requests that have no row.
      const lost = /request log: (\d+) rows buffered by the previous process \(pid (\d+)\) were lost/.exec(again.output())
      expect(lost, 'the start reports the lost rows').not.toBeNull()
      expect(Number(lost![2])).toBe(killedPid)
      expect(after).toBe(written)
      expect(Number(lost![1])).toBe(written + burst.length - after)
      // Reported once: the report's journal is gone, and a clean stop leaves none behind.
      expect(readdirSync(join(dataDir, 'log-journal')).filter(n => !n.includes(`-${again.process.pid}.`))).toEqual([])
      // The restarted instance serves with the surviving states: never the banned or disabled key.
      mock.reset()
      const r = await fetch(`${again.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: headers(pk), body: body(false) })
      expect(r.status).toBe(200)
      expect(mock.keysUsed()).toEqual([KEY])
    } finally { await again.stop() }
    expect(readdirSync(join(dataDir, 'log-journal')), 'a clean stop leaves no journal').toEqual([])
  }, 90_000)
})
