import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOG_TOTAL_CAP } from '../../../shared/schemas/logs'
import { backfillRollups, BACKENDS, startOn, upstream, waitForTask, type BackendServer } from '../../support/backends'
import { TEST_AUTH_KEY } from '../../support/server'

const MIN = 60_000
const HOUR = 60 * MIN
const now = Date.now()

type Row = {
  id: string
  requestId: string
  ago: number
  group: number
  proxyKey: number | null
  model: string
  status: number
  type: 'final' | 'retry'
  stream?: boolean
  ttft?: number | null
  tokens?: [number, number]
}

const COLUMNS = 'id, request_id, time, group_id, group_name, key_id, key_masked, proxy_key_id, model, upstream_model, path, upstream, status, success, type, stream, duration_ms, ttft_ms, prompt_tokens, completion_tokens, cached_tokens, error, ip, user_agent'

describe.each(BACKENDS)('dashboard and log paging API on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  let gA: number, gB: number, pk: number
  const insert = async (rows: Row[], names: Record<number, string>) => {
    for (let i = 0; i < rows.length; i += 400) {
      const chunk = rows.slice(i, i + 400)
      const params = chunk.flatMap(r => [
        r.id, r.requestId, now - r.ago, r.group, names[r.group], 1, 'sk-ab…wxyz', r.proxyKey, r.model, r.model, '/v1/chat/completions', 'http://u',
        r.status, r.status >= 200 && r.status < 300 ? 1 : 0, r.type, r.stream ? 1 : 0, 100, r.ttft ?? null,
        r.tokens?.[0] ?? 0, r.tokens?.[1] ?? 0, 0,
        r.status >= 400 ? `upstream said ${r.status}` : null, '10.0.0.9', 'test',
      ])
      const values = chunk.map(() => `(${Array(24).fill('?').join(', ')})`).join(', ')
      await s.direct.exec(`INSERT INTO request_logs (${COLUMNS}) VALUES ${values}`, params)
    }
  }

  beforeAll(async () => {
    if (skip) return
    s = await startOn(backend, 'dash')
    gA = (await s.server.api('POST', '/api/groups', { name: 'dash-a', channel: 'openai', upstreams: upstream() })).body.id
    gB = (await s.server.api('POST', '/api/groups', { name: 'dash-b', channel: 'openai', upstreams: upstream() })).body.id
    pk = (await s.server.api('POST', '/api/proxy-keys', { name: 'dash-app' })).body.id
    const names = { [gA]: 'dash-a', [gB]: 'dash-b' }
    const rows: Row[] = [
      // The last hour: 6 requests on A (one failed after a retry), 2 on B; 2 retries.
      { id: 'r01', requestId: 'q1', ago: 30_000, group: gA, proxyKey: pk, model: 'gpt-4o', status: 200, type: 'final', stream: true, ttft: 100, tokens: [10, 5] },
      { id: 'r02', requestId: 'q2', ago: 40_000, group: gA, proxyKey: pk, model: 'gpt-4o', status: 200, type: 'final', stream: true, ttft: 200, tokens: [10, 5] },
      { id: 'r03', requestId: 'q3', ago: 70_000, group: gA, proxyKey: pk, model: 'gpt-4o', status: 200, type: 'final', stream: true, ttft: 300, tokens: [10, 5] },
      { id: 'r04', requestId: 'q4', ago: 5 * MIN, group: gA, proxyKey: pk, model: 'gpt-4o', status: 200, type: 'final', ttft: 400, tokens: [10, 5] },
      { id: 'r05', requestId: 'q5', ago: 10 * MIN, group: gA, proxyKey: null, model: 'gpt-4o', status: 429, type: 'retry', tokens: [0, 0] },
      { id: 'r06', requestId: 'q5', ago: 10 * MIN - 10, group: gA, proxyKey: null, model: 'gpt-4o', status: 500, type: 'final', tokens: [0, 0] },
      { id: 'r07', requestId: 'q6', ago: 20 * MIN, group: gA, proxyKey: null, model: 'gpt-4o', status: 429, type: 'retry' },
      { id: 'r08', requestId: 'q6', ago: 20 * MIN - 10, group: gA, proxyKey: null, model: 'gpt-4o', status: 200, type: 'final', ttft: 1000,
        tokens: [10, 5] },
      { id: 'r09', requestId: 'q7', ago: 30 * MIN, group: gB, proxyKey: null, model: 'claude-x', status: 200, type: 'final', ttft: 50, tokens: [1, 1] },
      { id: 'r10', requestId: 'q8', ago: 40 * MIN, group: gB, proxyKey: null, model: 'claude-x', status: 0, type: 'final' },
      // The hour before: 1 request.
      { id: 'r11', requestId: 'q9', ago: 90 * MIN, group: gB, proxyKey: null, model: 'claude-x', status: 200, type: 'final', ttft: 70 },
    ]
    await insert(rows, names)
    const hour = Math.floor(now / HOUR) * HOUR
    for (const [g, model, h, req, fail] of [[gA, 'gpt-4o', hour, 6, 1], [gB, 'claude-x', hour, 2, 1], [gB, 'claude-x', hour - 30 * HOUR, 4, 0]] as const)
      await s.direct.exec('INSERT INTO hourly_stats (group_id, model, hour, requests, failures, prompt_tokens, completion_tokens, cached_tokens) VALUES (?, ?, ?, ?, ?, 10, 5, 0)', [g, model, h, req, fail])
    // The log rows above went in directly, past the writer: the rollups get them from the upgrade's backfill.
    await backfillRollups(s.direct, backend)
  })
  afterAll(async () => { await s?.stop() })

  it.skipIf(skip)('overview: the range, the one before it for the trend, retries, error rate, TTFT percentiles and requests per minute', async () => {
    const r = await s.server.api('GET', '/api/stats/overview?range=1h')
    expect(r.status).toBe(200)
    expect(r.body.range).toBe('1h')
    expect(r.body.current).toMatchObject({ requests: 8, failures: 2, retries: 2, errorRate: 0.25, promptTokens: 51, completionTokens: 26 })
    // TTFT over successful finals with a first byte: 50, 100, 200, 300, 400, 1000.
    expect(r.body.current).toMatchObject({ ttftP50: 200, ttftP95: 1000, ttftSamples: 6 })
    expect(r.body.previous).toMatchObject({ requests: 1, failures: 0, retries: 0, ttftP50: 70 })
    // Rows were written 30, 40 and 70 s before `now`; on a slow machine the minutes may have moved on since.
    if (Date.now() - now < 25_000) expect(r.body.rpm).toEqual({ now: 2, previous: 1 })
    else expect(r.body.rpm.now + r.body.rpm.previous).toBeLessThanOrEqual(3)
    expect(r.body.keys).toMatchObject({ total: 0 })

    const day = await s.server.api('GET', '/api/stats/overview?range=24h')
    expect(day.body.current).toMatchObject({ requests: 8, failures: 2, retries: 2 })
    expect(day.body.previous).toMatchObject({ requests: 4, failures: 0 })
    expect((await s.server.api('GET', '/api/stats/overview?range=2h')).status).toBe(400)
  })

  it.skipIf(skip)('time series: 60 minutes for 1 h with successes, failures and retries per minute; retries in the hourly ranges too', async () => {
    const r = await s.server.api('GET', '/api/stats/timeseries?range=1h')
    expect(r.status).toBe(200)
    expect(r.body.step).toBe(MIN)
    expect(r.body.points).toHaveLength(60)
    const sum = (k: string, pts = r.body.points) => pts.reduce((n: number, p: any) => n + p[k], 0)
    expect([sum('requests'), sum('failures'), sum('retries')]).toEqual([8, 2, 2])
    const minuteOf = (ago: number) => Math.floor((now - ago) / MIN) * MIN
    expect(r.body.points.find((p: any) => p.time === minuteOf(10 * MIN))).toMatchObject({ requests: 1, failures: 1, retries: 1 })
    const a = await s.server.api('GET', `/api/stats/timeseries?range=1h&groupId=${gB}`)
    expect([sum('requests', a.body.points), sum('failures', a.body.points)]).toEqual([2, 1])
    const day = await s.server.api('GET', '/api/stats/timeseries?range=24h')
    expect([sum('requests', day.body.points), sum('retries', day.body.points)]).toEqual([8, 2])
  })

  it.skipIf(skip)('top groups, models and proxy keys of the range, busiest first, with names', async () => {
    const r = await s.server.api('GET', '/api/stats/top?range=1h')
    expect(r.status).toBe(200)
    expect(r.body.groups).toEqual([
      { id: gA, name: 'dash-a', requests: 6, failures: 1, tokens: 75 },
      { id: gB, name: 'dash-b', requests: 2, failures: 1, tokens: 2 },
    ])
    expect(r.body.models.map((m: any) => [m.name, m.requests])).toEqual([['gpt-4o', 6], ['claude-x', 2]])
    expect(r.body.proxyKeys).toEqual([{ id: pk, name: 'dash-app', requests: 4, failures: 0, tokens: 60 }])
    const day = await s.server.api('GET', '/api/stats/top?range=24h')
    expect(day.body.groups.map((g: any) => [g.name, g.requests])).toEqual([['dash-a', 6], ['dash-b', 2]])
  })

  it.skipIf(skip)('pages by cursor without gaps or repeats, and filters by status class, stream and request id', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    for (let i = 0; i < 10; i++) {
      const q: string = `pageSize=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const r = await s.server.api('GET', `/api/logs?${q}`)
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ total: 11, totalExact: true })
      seen.push(...r.body.items.map((x: any) => x.id))
      cursor = r.body.nextCursor
      if (!cursor) break
    }
    expect(seen).toEqual(['r01', 'r02', 'r03', 'r04', 'r06', 'r05', 'r08', 'r07', 'r09', 'r10', 'r11'])
    const ids = async (q: string) => (await s.server.api('GET', `/api/logs?${q}`)).body.items.map((x: any) => x.id)
    expect(await ids('statusClass=4xx')).toEqual(['r05', 'r07'])
    expect(await ids('statusClass=5xx')).toEqual(['r06'])
    expect(await ids('statusClass=other')).toEqual(['r10'])
    expect(await ids('stream=true')).toEqual(['r01', 'r02', 'r03'])
    expect(await ids('requestId=q5')).toEqual(['r06', 'r05'])
    expect(await ids('statusClass=2xx&stream=false&type=final')).toEqual(['r04', 'r08', 'r09', 'r11'])
    for (const bad of ['cursor=abc', 'cursor=1:x%27%20or%201%3D1', 'statusClass=6xx', 'stream=maybe'])
      expect((await s.server.api('GET', `/api/logs?${bad}`)).status, bad).toBe(400)
    const csv = await (await fetch(`${s.server.url}/api/logs/export?statusClass=4xx`, { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })).text()
    expect(csv.trim().split('\n')).toHaveLength(3)
  })

  it.skipIf(skip)('stops counting at the cap and says so, still paging past it', async () => {
    const many: Row[] = Array.from({ length: LOG_TOTAL_CAP + 5 }, (_, i) => ({
      id: `m${String(i).padStart(6, '0')}`, requestId: `m${i}`, ago: 3 * HOUR + i, group: gB, proxyKey: null, model: 'bulk', status: 200, type: 'final',
    }))
    await insert(many, { [gB]: 'dash-b' })
    const r = await s.server.api('GET', '/api/logs?model=bulk&pageSize=500')
    expect(r.body).toMatchObject({ total: LOG_TOTAL_CAP, totalExact: false })
    const deep = await s.server.api('GET', `/api/logs?model=bulk&pageSize=2&cursor=${encodeURIComponent(`${now - 3 * HOUR - LOG_TOTAL_CAP}:m010000`)}`)
    expect(deep.body.items.map((x: any) => x.id)).toEqual(['m010001', 'm010002'])
  })

  it.skipIf(skip)('key events: keys whose state changed, newest first, masked, with their group', async () => {
    const t = await s.server.api('POST', `/api/groups/${gA}/keys`, { keys: 'sk-dash-aaaaaaaaaaaaaaaa1 sk-dash-aaaaaaaaaaaaaaaa2 sk-dash-aaaaaaaaaaaaaaaa3' })
    await waitForTask(s.server, t.body.taskId)
    const keys = (await s.server.api('GET', `/api/groups/${gA}/keys`)).body.items
    await s.direct.exec('UPDATE api_keys SET updated_at = ? WHERE id <> ?', [now - 2 * 24 * HOUR, keys[0].id])
    const first = await s.server.api('PATCH', `/api/keys/${keys[1].id}`, { status: 'disabled' })
    expect(first.status).toBe(200)
    const r = await s.server.api('GET', '/api/stats/key-events')
    expect(r.status).toBe(200)
    expect(r.body.items.map((e: any) => [e.keyId, e.status])).toEqual([[keys[1].id, 'disabled'], [keys[0].id, 'active']])
    expect(r.body.items[0]).toMatchObject({ groupId: gA, groupName: 'dash-a', masked: 'sk-da…aaa2' })
    expect(JSON.stringify(r.body)).not.toContain('sk-dash-aaaaaaaaaaaaaaaa')
    const since = await s.server.api('GET', `/api/stats/key-events?since=${r.body.items[0].changedAt}&limit=1`)
    expect(since.body.items.map((e: any) => e.keyId)).toEqual([keys[1].id])
    expect((await s.server.api('GET', '/api/stats/key-events?limit=1000')).status).toBe(400)
  })
})
