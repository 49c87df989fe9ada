import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, upstream, waitForTask, type BackendServer } from '../../support/backends'

const base = (name: string, extra: Record<string, unknown> = {}) => ({ name, channel: 'openai', upstreams: upstream(), ...extra })

describe.each(BACKENDS)('groups API on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  beforeAll(async () => { if (!skip) s = await startOn(backend, 'groups') })
  afterAll(async () => { await s?.stop() })

  it.skipIf(skip)('creates, reads, lists, updates and deletes a group with every field', async () => {
    const full = {
      name: 'full-group_1', displayName: 'Full', description: 'all fields', type: 'standard', channel: 'anthropic',
      upstreams: [{ url: 'https://api.example.com', weight: 3 }, { url: 'http://backup.example.com:8080/x', weight: 0 }],
      testModel: 'claude-3-haiku', validationPath: '/v1/messages', models: ['claude-*', 'my-model'], priority: 5,
      modelRedirects: { 'my-model': 'claude-3-5-sonnet' }, modelRedirectStrict: true, paramOverrides: { temperature: 0.2 },
      headerRules: [{ name: 'X-Org', value: '${GROUP_NAME}', action: 'set' }, { name: 'X-Drop', value: '', action: 'remove' }],
      config: { max_retries: 5, failover_status_codes: '500-599' }, enabled: false, acceptsConversions: true, priceMultiplier: 0.8,
    }
    const created = await s.server.api('POST', '/api/groups', full)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ ...full, id: expect.any(Number), subGroups: [], endpoint: 'http://localhost:3001/proxy/full-group_1' })
    const id = created.body.id

    expect((await s.server.api('GET', `/api/groups/${id}`)).body).toEqual(created.body)
    const list = await s.server.api('GET', '/api/groups')
    expect(list.body.total).toBeGreaterThanOrEqual(1)
    expect(list.body.items.map((g: any) => g.name)).toContain('full-group_1')

    const patched = await s.server.api('PATCH', `/api/groups/${id}`, { displayName: 'Renamed', config: { cooldown_seconds: 10 }, enabled: true })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ displayName: 'Renamed', config: { cooldown_seconds: 10 }, enabled: true, testModel: 'claude-3-haiku' })
    expect(patched.body.updatedAt).toBeGreaterThanOrEqual(created.body.updatedAt)

    expect((await s.server.api('DELETE', `/api/groups/${id}`)).status).toBe(200)
    expect((await s.server.api('GET', `/api/groups/${id}`)).status).toBe(404)
  })

  it.skipIf(skip)('endpoint follows the app_url setting', async () => {
    const g = await s.server.api('POST', '/api/groups', base('endpoint-check'))
    await s.server.api('PATCH', '/api/settings', { app_url: 'https://gw.example.com/' })
    expect((await s.server.api('GET', `/api/groups/${g.body.id}`)).body.endpoint).toBe('https://gw.example.com/proxy/endpoint-check')
    await s.server.api('PATCH', '/api/settings', { app_url: 'http://localhost:3001' })
  })

  it.skipIf(skip)('refuses bad input with the contract\'s 400 listing each bad field', async () => {
    const r = await s.server.api('POST', '/api/groups', {
      name: 'Bad Name!', channel: 'cohere', upstreams: [{ url: 'ftp://x.example.com', weight: 1 }, { url: 'http://ok.example.com', weight: 5000 }],
      headerRules: [{ name: 'X-A', value: '1', action: 'set' }, { name: 'x-a', value: '2', action: 'set' }, { name: 'bad header', value: '', action: 'set' }],
      modelRedirects: { a: '' }, config: { max_retries: 'many', not_a_setting: 1 }, validationPath: 'no-slash', unknownField: 1,
    })
    expect(r.status).toBe(400)
    expect(Object.keys(r.body).sort()).toEqual(['data', 'message', 'statusCode'])
    expect(r.body.statusCode).toBe(400)
    expect(r.body.data.code).toBe('VALIDATION')
    const paths = r.body.data.issues.map((i: any) => i.path)
    for (const p of ['name', 'channel', 'upstreams.0.url', 'upstreams.1.weight', 'headerRules.2.name', 'modelRedirects.a', 'config.max_retries', 'config.not_a_setting', 'validationPath', 'unknownField'])
      expect(paths, p).toContain(p)
    for (const i of r.body.data.issues) expect(typeof i.message).toBe('string')

    const dupHeader = await s.server.api('POST', '/api/groups', base('dup-header', { headerRules: [{ name: 'X-A', value: '1', action: 'set' }, { name: 'x-a', value: '2', action: 'remove' }] }))
    expect(dupHeader.status).toBe(400)
    expect(dupHeader.body.data.issues).toEqual([{ path: 'headerRules.1.name', message: expect.stringContaining('duplicates') }])

    const noWeight = await s.server.api('POST', '/api/groups', base('no-weight', { upstreams: [{ url: 'http://a.example.com', weight: 0 }] }))
    expect(noWeight.status).toBe(400)
    expect(noWeight.body.data.issues[0].path).toBe('upstreams')

    expect((await s.server.api('POST', '/api/groups', { channel: 'openai', upstreams: upstream() })).body.data.issues[0].path).toBe('name')
    const notJson = await fetch(`${s.server.url}/api/groups`, { method: 'POST', headers: { 'authorization': 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' }, body: '{"name":' })
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).data.code).toBe('VALIDATION')

    const g = await s.server.api('POST', '/api/groups', base('patch-target'))
    const badPatch = await s.server.api('PATCH', `/api/groups/${g.body.id}`, { upstreams: [], priority: 1.5 })
    expect(badPatch.status).toBe(400)
    expect(badPatch.body.data.issues.map((i: any) => i.path).sort()).toEqual(['priority'])
    const emptied = await s.server.api('PATCH', `/api/groups/${g.body.id}`, { upstreams: [] })
    expect(emptied.status).toBe(400)
    expect(emptied.body.data.issues[0].path).toBe('upstreams')
    expect((await s.server.api('GET', `/api/groups/${g.body.id}`)).body.upstreams).toEqual(upstream())
  })

  it.skipIf(skip)('names are unique (409) and unknown ids are 404', async () => {
    await s.server.api('POST', '/api/groups', base('unique-one'))
    const dup = await s.server.api('POST', '/api/groups', base('unique-one'))
    expect(dup.status).toBe(409)
    expect(dup.body.data.code).toBe('CONFLICT')
    const other = await s.server.api('POST', '/api/groups', base('unique-two'))
    expect((await s.server.api('PATCH', `/api/groups/${other.body.id}`, { name: 'unique-one' })).status).toBe(409)
    for (const [m, p] of [['GET', '/api/groups/999999'], ['PATCH', '/api/groups/999999'], ['DELETE', '/api/groups/999999'], ['GET', '/api/groups/abc'], ['POST', '/api/groups/999999/copy'], ['GET', '/api/groups/999999/keys'], ['GET', '/api/groups/999999/stats']] as const) {
      const r = await s.server.api(m, p, m === 'PATCH' || m === 'POST' ? {} : undefined)
      expect(r.status, `${m} ${p}`).toBe(404)
      expect(r.body.data.code).toBe('NOT_FOUND')
    }
    const unknownRoute = await s.server.api('GET', '/api/no-such-thing')
    expect(unknownRoute.status).toBe(404)
    expect(unknownRoute.body).toEqual({ statusCode: 404, message: expect.any(String), data: { code: 'NOT_FOUND' } })
  })

  it.skipIf(skip)('aggregates: same channel, no nesting, weights 0-1000; delete refused while used unless forced', async () => {
    const a = (await s.server.api('POST', '/api/groups', base('sub-a'))).body
    const b = (await s.server.api('POST', '/api/groups', base('sub-b'))).body
    const claude = (await s.server.api('POST', '/api/groups', base('sub-claude', { channel: 'anthropic' }))).body
    const agg = await s.server.api('POST', '/api/groups', { name: 'agg', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: a.id, weight: 2 }, { groupId: b.id, weight: 0 }] })
    expect(agg.status).toBe(201)
    expect(agg.body.subGroups).toEqual([{ groupId: a.id, weight: 2 }, { groupId: b.id, weight: 0 }])

    const mixed = await s.server.api('POST', '/api/groups', { name: 'agg-mixed', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: claude.id, weight: 1 }] })
    expect(mixed.status).toBe(400)
    expect(mixed.body.data.issues[0]).toEqual({ path: 'subGroups.0.groupId', message: expect.stringContaining('anthropic') })
    const nested = await s.server.api('POST', '/api/groups', { name: 'agg-nested', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: agg.body.id, weight: 1 }] })
    expect(nested.status).toBe(400)
    expect(nested.body.data.issues[0].message).toContain('nested')
    const missing = await s.server.api('POST', '/api/groups', { name: 'agg-missing', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: 999999, weight: 1 }] })
    expect(missing.status).toBe(400)
    const heavy = await s.server.api('POST', '/api/groups', { name: 'agg-heavy', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: a.id, weight: 1001 }] })
    expect(heavy.body.data.issues[0].path).toBe('subGroups.0.weight')
    expect((await s.server.api('POST', '/api/groups', { name: 'agg-empty', channel: 'openai', type: 'aggregate', subGroups: [] })).status).toBe(400)
    expect((await s.server.api('POST', '/api/groups', base('std-with-subs', { subGroups: [{ groupId: a.id, weight: 1 }] }))).status).toBe(400)
    // A sub-group cannot drift to another channel under its aggregate.
    const drift = await s.server.api('PATCH', `/api/groups/${a.id}`, { channel: 'gemini' })
    expect(drift.status).toBe(400)
    expect(drift.body.data.issues[0].message).toContain('agg')

    const refused = await s.server.api('DELETE', `/api/groups/${a.id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.data.code).toBe('CONFLICT')
    expect(refused.body.message).toContain('agg')
    expect((await s.server.api('GET', `/api/groups/${a.id}`)).status).toBe(200)
    expect((await s.server.api('DELETE', `/api/groups/${a.id}?force=true`)).status).toBe(200)
    expect((await s.server.api('GET', `/api/groups/${agg.body.id}`)).body.subGroups).toEqual([{ groupId: b.id, weight: 0 }])
  })

  it.skipIf(skip)('copies a group with none, active or all keys', async () => {
    const g = (await s.server.api('POST', '/api/groups', base('copy-src', { models: ['gpt-4o'] }))).body
    const t = await s.server.api('POST', `/api/groups/${g.id}/keys`, { keys: 'sk-copy-aaaaaaaaaaaaaaaa1 sk-copy-aaaaaaaaaaaaaaaa2 sk-copy-aaaaaaaaaaaaaaaa3' })
    await waitForTask(s.server, t.body.taskId)
    const keys = (await s.server.api('GET', `/api/groups/${g.id}/keys`)).body.items
    await s.server.api('PATCH', `/api/keys/${keys[0].id}`, { status: 'disabled' })

    const none = await s.server.api('POST', `/api/groups/${g.id}/copy`, { keys: 'none' })
    expect(none.status).toBe(201)
    expect(none.body).toMatchObject({ name: 'copy-src_copy', models: ['gpt-4o'], channel: 'openai' })
    expect((await s.server.api('GET', `/api/groups/${none.body.id}/keys`)).body.total).toBe(0)
    const active = await s.server.api('POST', `/api/groups/${g.id}/copy`, { keys: 'active' })
    expect(active.body.name).toBe('copy-src_copy2')
    expect((await s.server.api('GET', `/api/groups/${active.body.id}/keys`)).body.total).toBe(2)
    const all = await s.server.api('POST', `/api/groups/${g.id}/copy`, { keys: 'all', name: 'copy-all' })
    const allKeys = (await s.server.api('GET', `/api/groups/${all.body.id}/keys`)).body.items
    expect(allKeys.map((k: any) => k.masked)).toEqual(keys.map((k: any) => k.masked))
    const exported = await fetch(`${s.server.url}/api/groups/${all.body.id}/keys/export`, { headers: { authorization: 'Bearer test-admin-key-0123456789' } })
    expect((await exported.text()).trim().split('\n')).toEqual(['sk-copy-aaaaaaaaaaaaaaaa1', 'sk-copy-aaaaaaaaaaaaaaaa2', 'sk-copy-aaaaaaaaaaaaaaaa3'])
    expect((await s.server.api('POST', `/api/groups/${g.id}/copy`, { keys: 'some' })).status).toBe(400)
    expect((await s.server.api('POST', `/api/groups/${g.id}/copy`, { name: 'copy-all' })).status).toBe(409)
  })

  it.skipIf(skip)('reorders groups', async () => {
    const x = (await s.server.api('POST', '/api/groups', base('order-x'))).body
    const y = (await s.server.api('POST', '/api/groups', base('order-y'))).body
    const r = await s.server.api('PUT', '/api/groups/order', { ids: [y.id, x.id] })
    expect(r.status).toBe(200)
    const names = (await s.server.api('GET', '/api/groups')).body.items.map((g: any) => g.name)
    expect(names.slice(0, 2)).toEqual(['order-y', 'order-x'])
    expect((await s.server.api('PUT', '/api/groups/order', { ids: [x.id, x.id] })).status).toBe(400)
    expect((await s.server.api('PUT', '/api/groups/order', { ids: [999999] })).status).toBe(400)
    expect((await s.server.api('PUT', '/api/groups/order', {})).status).toBe(400)
  })

  it.skipIf(skip)('paginates lists and validates page and pageSize', async () => {
    const r = await s.server.api('GET', '/api/groups?page=1&pageSize=2')
    expect(r.body.items).toHaveLength(2)
    expect(r.body.total).toBeGreaterThan(2)
    for (const q of ['pageSize=501', 'pageSize=0', 'page=0', 'page=x'])
      expect((await s.server.api('GET', `/api/groups?${q}`)).status, q).toBe(400)
  })
})
