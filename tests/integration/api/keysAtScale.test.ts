import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOn, upstream, waitForTask, type BackendServer } from '../../support/backends'
import { TEST_AUTH_KEY } from '../../support/server'

const auth = { authorization: `Bearer ${TEST_AUTH_KEY}` }
const N = 100_000
const keyText = Array.from({ length: N }, (_, i) => `sk-proj-${i.toString(36).padStart(8, '0')}${'x'.repeat(40)}`).join('\n') + '\n'

/**
 * The targets hold on this machine when it is not saturated (see docs/measurements-api.md).
 * When other work keeps the CPUs more than twice oversubscribed, the bound widens (and says so)
 * instead of failing on someone else's load.
 */
function budgetMs(target: number): number {
  const load = loadavg()[0]! / availableParallelism()
  if (load <= 2) return target
  const factor = Math.min(8, Math.ceil(load))
  console.log(`[measure] machine load ${load.toFixed(1)}x the CPU count: allowing ${factor}x the ${target} ms target`)
  return target * factor
}

/** Peak resident memory of a process, from /proc (Linux). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

// The contract's targets are for SQLite on this machine; the numbers go into docs/measurements-api.md.
describe('upstream keys at scale on SQLite', () => {
  let s: BackendServer
  let gid: number
  beforeAll(async () => {
    s = await startOn('sqlite', 'scale')
    gid = (await s.server.api('POST', '/api/groups', { name: 'scale', channel: 'openai', upstreams: upstream() })).body.id
  })
  afterAll(async () => { await s?.stop() })

  it(`imports ${N} keys in under 10 s with progress, and a second import of the same file adds nothing`, async () => {
    const started = Date.now()
    const r = await s.server.api('POST', `/api/groups/${gid}/keys`, { keys: keyText })
    expect(r.status).toBe(202)
    const seen: number[] = []
    let task: any
    for (;;) {
      task = (await s.server.api('GET', `/api/tasks/${r.body.taskId}`)).body
      seen.push(task.processed)
      if (task.state !== 'running') break
      await new Promise(res => setTimeout(res, 100))
    }
    const elapsed = Date.now() - started
    console.log(`[measure] import ${N} keys (JSON body): ${elapsed} ms`)
    expect(task).toMatchObject({ state: 'done', processed: N, total: N, result: { added: N, duplicates: 0, invalid: 0 } })
    expect(seen.some(p => p > 0 && p < N), 'progress was reported while running').toBe(true)
    expect(elapsed).toBeLessThan(budgetMs(10_000))

    const form = new FormData()
    form.append('file', new Blob([keyText], { type: 'text/plain' }), 'keys.txt')
    const started2 = Date.now()
    const up = await fetch(`${s.server.url}/api/groups/${gid}/keys`, { method: 'POST', headers: auth, body: form })
    expect(up.status).toBe(202)
    const again = await waitForTask(s.server, (await up.json()).taskId, 120_000)
    console.log(`[measure] re-import the same ${N} keys (multipart upload): ${Date.now() - started2} ms`)
    expect(again.result).toEqual({ added: 0, duplicates: N, invalid: 0, total: N })
    const rows = await s.direct.query<{ n: number; distinct_n: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT key_hash) AS distinct_n FROM api_keys WHERE group_id = ?', [gid])
    expect(rows[0]).toEqual({ n: N, distinct_n: N })
  }, 180_000)

  it('lists page 1 of the 100,000-key group with a status filter in under 100 ms', async () => {
    await s.direct.exec(`UPDATE api_keys SET status = CASE WHEN id % 10 = 0 THEN 'invalid' WHEN id % 10 = 1 THEN 'disabled' ELSE 'active' END WHERE group_id = ?`, [gid])
    const times: Record<string, number[]> = {}
    for (const status of ['active', 'invalid', 'disabled', 'cooling']) {
      times[status] = []
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now()
        const r = await s.server.api('GET', `/api/groups/${gid}/keys?status=${status}&page=1&pageSize=50`)
        times[status].push(performance.now() - t0)
        expect(r.status).toBe(200)
        expect(r.body.total).toBe({ active: 80_000, invalid: 10_000, disabled: 10_000, cooling: 0 }[status])
      }
    }
    const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.sort((a, b) => a - b)[2]!]))
    console.log(`[measure] page 1 (50 rows) of ${N} keys with a status filter, median of 5 (ms): ${JSON.stringify(Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`)
    for (const v of Object.values(medians)) expect(v).toBeLessThan(budgetMs(100))
  }, 60_000)

  it('streams a 50 MB .txt upload to disk instead of holding it in memory', async () => {
    // 50 MB of lines, mostly repeats of 5,000 keys: the parse and dedup path at full size, quickly.
    const line = (i: number) => `sk-big-${(i % 5000).toString().padStart(6, '0')}-${'y'.repeat(40)}\n`
    const chunk = Array.from({ length: 10_000 }, (_, i) => line(i)).join('')
    const parts = Array.from({ length: Math.ceil((50 * 1024 * 1024) / chunk.length) }, () => chunk)
    const blob = new Blob(parts, { type: 'text/plain' })
    expect(blob.size).toBeGreaterThanOrEqual(50 * 1024 * 1024)
    // A server of its own, so the baseline is not the previous tests' high-water mark.
    const own = await startOn('sqlite', 'upload')
    try {
      const g = (await own.server.api('POST', '/api/groups', { name: 'scale-upload', channel: 'openai', upstreams: upstream() })).body.id
      const form = new FormData()
      form.append('file', blob, 'big.txt')
      const before = peakRssMb(own.server.process.pid!)
      const started = Date.now()
      const up = await fetch(`${own.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: auth, body: form })
      expect(up.status).toBe(202)
      const t = await waitForTask(own.server, (await up.json()).taskId, 60_000)
      const after = peakRssMb(own.server.process.pid!)
      console.log(`[measure] 50 MB upload (${parts.length * 10_000} lines): ${Date.now() - started} ms; server peak RSS ${Math.round(before)} → ${Math.round(after)} MB`)
      expect(t.result).toMatchObject({ added: 5000, total: parts.length * 10_000 })
      // Buffering the body (as h3's readMultipartFormData does) would cost well over 100 MB here:
      // the raw 50 MB, its parsed copy and its text.
      expect(after - before).toBeLessThan(100)
    } finally { await own.stop() }
  }, 120_000)
})
