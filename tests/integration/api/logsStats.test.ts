import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, upstream, type BackendServer } from '../../support/backends'
import { TEST_AUTH_KEY } from '../../support/server'

const HOUR = 3600_000
const now = Date.now()
const hour = (ago: number) => Math.floor((now - ago * HOUR) / HOUR) * HOUR

type Log = {
  id: string
  time: number
  group_id: number
  group_name: string
  key_id: number
  proxy_key_id: number | null
  model: string
  status: number
  success: number
  type: string
  ip: string
  error: string | null
  request_body?: string | null
}

describe.each(BACKENDS)('logs and stats API on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  let g1: number, g2: number
  const logs: Log[] = []
  beforeAll(async () => {
    if (skip) return
    s = await startOn(backend, 'logs')
    g1 = (await s.server.api('POST', '/api/groups', { name: 'logs-one', channel: 'openai', upstreams: upstream() })).body.id
    g2 = (await s.server.api('POST', '/api/groups', { name: 'logs-two', channel: 'openai', upstreams: upstream() })).body.id
    logs.push(
      { id: 'log-a', time: now - 10_000, group_id: g1, group_name: 'logs-one', key_id: 11, proxy_key_id: 5, model: 'gpt-4o', status: 200, success: 1, type: 'final', ip: '10.0.0.1', error: null, request_body: '{"model":"gpt-4o"}' },
      { id: 'log-b', time: now - 20_000, group_id: g1, group_name: 'logs-one', key_id: 12, proxy_key_id: 5, model: 'gpt-4o', status: 429, success: 0, type: 'retry', ip: '10.0.0.1', error: 'rate limited by upstream' },
      { id: 'log-c', time: now - 30_000, group_id: g2, group_name: 'logs-two', key_id: 21, proxy_key_id: null, model: 'gpt-4o-mini', status: 500, success: 0, type: 'final', ip: '10.0.0.2', error: 'upstream 100% broken, "quoted", =cmd' },
      { id: 'log-d', time: now - 3 * 86_400_000, group_id: g2, group_name: 'logs-two', key_id: 21, proxy_key_id: null, model: 'gpt-4o-mini', status: 200, success: 1, type: 'final', ip: '10.0.0.2', error: null },
    )
    for (const l of logs)
      await s.direct.exec(`INSERT INTO request_logs (id, time, group_id, group_name, key_id, key_masked, proxy_key_id, model, upstream_model, path, upstream, status, success, type, stream, duration_ms, prompt_tokens, completion_tokens, cached_tokens, error, ip, user_agent, request_body)
        VALUES (?, ?, ?, ?, ?, 'sk-ab…wxyz', ?, ?, ?, '/v1/chat/completions', 'https://api.example.com', ?, ?, ?, 0, 120, 10, 20, 0, ?, ?, 'test-agent', ?)`,
      [
        l.id, l.time, l.group_id, l.group_name, l.key_id, l.proxy_key_id, l.model, l.model, l.status, l.success, l.type, l.error, l.ip,
        l.request_body ?? null,
      ])
    const stats: [number, string, number, number, number, number, number][] = [
      [g1, 'gpt-4o', hour(0), 10, 2, 1000, 500], [g1, 'gpt-4o', hour(5), 5, 0, 100, 50], [g1, 'gpt-4o', hour(48), 7, 1, 70, 30],
      [g1, 'gpt-4o', hour(24 * 20), 3, 3, 30, 0], [g1, 'gpt-4o', hour(24 * 40), 99, 0, 0, 0], [g2, 'gpt-4o-mini', hour(1), 4, 4, 40, 0],
    ]
    for (const [gid, model, h, req, fail, pt, ct] of stats)
      await s.direct.exec('INSERT INTO hourly_stats (group_id, model, hour, requests, failures, prompt_tokens, completion_tokens, cached_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, 0)', [gid, model, h, req, fail, pt, ct])
  })
  afterAll(async () => { await s?.stop() })

  const ids = async (query: string) => {
    const r = await s.server.api('GET', `/api/logs?${query}`)
    expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200)
    return r.body.items.map((x: any) => x.id)
  }

  it.skipIf(skip)('lists logs newest first, with every filter', async () => {
    const all = await s.server.api('GET', '/api/logs')
    expect(all.body.total).toBe(4)
    expect(all.body.items.map((x: any) => x.id)).toEqual(['log-a', 'log-b', 'log-c', 'log-d'])
    expect(all.body.items[0]).toMatchObject({ id: 'log-a', groupId: g1, groupName: 'logs-one', keyId: 11, keyMasked: 'sk-ab…wxyz', proxyKeyId: 5, model: 'gpt-4o', status: 200, success: true, type: 'final', stream: false, durationMs: 120, promptTokens: 10, completionTokens: 20, ip: '10.0.0.1', userAgent: 'test-agent' })
    expect(all.body.items[0]).not.toHaveProperty('requestBody')
    expect(await ids(`groupId=${g1}`)).toEqual(['log-a', 'log-b'])
    expect(await ids('model=gpt-4o-mini')).toEqual(['log-c', 'log-d'])
    expect(await ids('keyId=12')).toEqual(['log-b'])
    expect(await ids('proxyKeyId=5')).toEqual(['log-a', 'log-b'])
    expect(await ids('status=500')).toEqual(['log-c'])
    expect(await ids('success=false')).toEqual(['log-b', 'log-c'])
    expect(await ids('success=true&type=final')).toEqual(['log-a', 'log-d'])
    expect(await ids('type=retry')).toEqual(['log-b'])
    expect(await ids('ip=10.0.0.2')).toEqual(['log-c', 'log-d'])
    expect(await ids('q=100%25')).toEqual(['log-c'])
    expect(await ids('q=rate%20limited')).toEqual(['log-b'])
    expect(await ids(`from=${now - 25_000}`)).toEqual(['log-a', 'log-b'])
    expect(await ids(`to=${now - 25_000}`)).toEqual(['log-c', 'log-d'])
    expect(await ids(`from=${encodeURIComponent(new Date(now - 86_400_000).toISOString())}`)).toEqual(['log-a', 'log-b', 'log-c'])
    expect(await ids('page=2&pageSize=3')).toEqual(['log-d'])
    for (const q of ['success=maybe', 'type=other', 'status=abc', 'from=yesterday', 'groupId=-1', 'pageSize=501'])
      expect((await s.server.api('GET', `/api/logs?${q}`)).status, q).toBe(400)
  })

  it.skipIf(skip)('shows one log with bodies, 404 for an unknown id', async () => {
    const r = await s.server.api('GET', '/api/logs/log-a')
    expect(r.body).toMatchObject({ id: 'log-a', requestBody: '{"model":"gpt-4o"}', responseBody: null })
    expect((await s.server.api('GET', '/api/logs/nope')).status).toBe(404)
  })

  it.skipIf(skip)('exports filtered logs as CSV', async () => {
    const r = await fetch(`${s.server.url}/api/logs/export?groupId=${g2}`, { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/)
    const lines = (await r.text()).trim().split('\n')
    expect(lines[0]).toMatch(/^id,requestId,time,groupId,groupName,/)
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain('log-c')
    expect(lines[1]).toContain('"upstream 100% broken, ""quoted"", =cmd"')
    expect(lines[1]).toContain(new Date(now - 30_000).toISOString())
    expect((await fetch(`${s.server.url}/api/logs/export?success=x`, { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })).status).toBe(400)
  })

  it.skipIf(skip)('reports group stats: keys by state and usage over 24 h / 7 d / 30 d', async () => {
    const t = await s.server.api('POST', `/api/groups/${g1}/keys`, { keys: 'sk-stats-aaaaaaaaaaaaaaaa1 sk-stats-aaaaaaaaaaaaaaaa2 sk-stats-aaaaaaaaaaaaaaaa3' })
    for (let i = 0; i < 100 && (await s.server.api('GET', `/api/tasks/${t.body.taskId}`)).body.state === 'running'; i++) await new Promise(r => setTimeout(r, 20))
    await s.direct.exec(`UPDATE api_keys SET status = 'invalid' WHERE group_id = ? AND key_hash = (SELECT h FROM (SELECT MIN(key_hash) AS h FROM api_keys WHERE group_id = ?) x)`, [g1, g1])
    const r = await s.server.api('GET', `/api/groups/${g1}/stats`)
    expect(r.status).toBe(200)
    expect(r.body.keys).toEqual({ active: 2, cooling: 0, invalid: 1, disabled: 0, total: 3 })
    expect(r.body.usage['24h']).toEqual({ requests: 15, failures: 2, promptTokens: 1100, completionTokens: 550, cachedTokens: 0, cost: 0 })
    expect(r.body.usage['7d']).toMatchObject({ requests: 22, failures: 3 })
    expect(r.body.usage['30d']).toMatchObject({ requests: 25, failures: 6 })
    expect(r.body.scope).toBe('group')
    // An aggregate has no keys or rows of its own: its sub-groups stand for it.
    const agg = (await s.server.api('POST', '/api/groups', { name: 'logs-agg', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: g1, weight: 1 }, { groupId: g2, weight: 1 }] })).body.id
    const a = await s.server.api('GET', `/api/groups/${agg}/stats`)
    expect(a.body).toMatchObject({ scope: 'sub-groups', keys: { total: 3 }, usage: { '24h': { requests: 19, failures: 6 } } })
    expect((await s.server.api('GET', `/api/stats/timeseries?groupId=${agg}`)).body.points.reduce((n: number, p: any) => n + p.requests, 0)).toBe(19)
    await s.server.api('DELETE', `/api/groups/${agg}`)
  })

  it.skipIf(skip)('serves the dashboard overview and time series', async () => {
    const o = await s.server.api('GET', '/api/stats/overview')
    expect(o.status).toBe(200)
    expect(o.body).toMatchObject({
      groups: 2, proxyKeys: 0, keys: { total: 3 }, last24h: { requests: 19, failures: 6 }, requestsLastMinute: 2,
    })
    const day = await s.server.api('GET', `/api/stats/timeseries?groupId=${g1}&range=24h`)
    expect(day.body.points).toHaveLength(24)
    expect(day.body.points.at(-1)).toMatchObject({ time: hour(0), requests: 10, failures: 2 })
    expect(day.body.points.reduce((n: number, p: any) => n + p.requests, 0)).toBe(15)
    const week = await s.server.api('GET', '/api/stats/timeseries?range=7d')
    expect(week.body.points).toHaveLength(168)
    expect(week.body.points.reduce((n: number, p: any) => n + p.requests, 0)).toBe(26)
    const month = await s.server.api('GET', `/api/stats/timeseries?range=30d&groupId=${g1}`)
    expect(month.body.points).toHaveLength(30)
    expect(month.body.points.reduce((n: number, p: any) => n + p.requests, 0)).toBe(25)
    expect((await s.server.api('GET', '/api/stats/timeseries?range=1y')).status).toBe(400)
    expect((await s.server.api('GET', '/api/stats/timeseries?groupId=999999')).status).toBe(404)
  })
})
