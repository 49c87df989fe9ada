// Key management at scale on SQLite, as tests/integration/api/keysAtScale.test.ts measured it
// before its timing assertions moved here: importing 100,000 keys (JSON body, polled like the
// console does) within 10 s, and page 1 of the 100,000-key group with a status filter within
// 100 ms (median of 5 per status).
import { startOn, upstream } from '../../tests/support/backends.ts'
import { check, median, round, sleep } from './lib.mjs'

const N = 100_000

export async function run(log) {
  const keyText = Array.from({ length: N }, (_, i) => `sk-proj-${i.toString(36).padStart(8, '0')}${'x'.repeat(40)}`).join('\n') + '\n'
  const s = await startOn('sqlite', 'bench-scale')
  const out = []
  try {
    const gid = (await s.server.api('POST', '/api/groups', { name: 'scale', channel: 'openai', upstreams: upstream() })).body.id
    const started = Date.now()
    const r = await s.server.api('POST', `/api/groups/${gid}/keys`, { keys: keyText })
    if (r.status !== 202) throw new Error(`import: HTTP ${r.status} ${JSON.stringify(r.body)}`)
    let task
    for (;;) {
      task = (await s.server.api('GET', `/api/tasks/${r.body.taskId}`)).body
      if (task.state !== 'running') break
      await sleep(100)
    }
    const elapsed = Date.now() - started
    if (task.state !== 'done' || task.result?.added !== N) throw new Error(`import ended ${task.state}: ${JSON.stringify(task.result ?? task.error)}`)
    out.push(check(`keys: import ${N.toLocaleString('en')} keys as a JSON body (ms)`, elapsed, '< 10000', elapsed < 10_000))

    await s.direct.exec(`UPDATE api_keys SET status = CASE WHEN id % 10 = 0 THEN 'invalid' WHEN id % 10 = 1 THEN 'disabled' ELSE 'active' END WHERE group_id = ?`, [gid])
    const medians = {}
    for (const status of ['active', 'invalid', 'disabled', 'cooling']) {
      const times = []
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now()
        const page = await s.server.api('GET', `/api/groups/${gid}/keys?status=${status}&page=1&pageSize=50`)
        times.push(performance.now() - t0)
        if (page.status !== 200) throw new Error(`list ${status}: HTTP ${page.status}`)
      }
      medians[status] = round(median(times))
    }
    log(`  keys: page 1 medians ${JSON.stringify(medians)} ms`)
    const worst = Math.max(...Object.values(medians))
    out.push(check(`keys: page 1 (50 rows) of ${N.toLocaleString('en')} with a status filter (ms, worst median of 5)`, worst, '< 100', worst < 100,
      Object.entries(medians).map(([k, v]) => `${k} ${v}`).join(', ')))
  } finally {
    await s.stop()
  }
  return out
}
