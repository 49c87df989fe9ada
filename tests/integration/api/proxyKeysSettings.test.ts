import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, upstream, type BackendServer } from '../../support/backends'

describe.each(BACKENDS)('proxy keys and settings API on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  beforeAll(async () => { if (!skip) s = await startOn(backend, 'pkeys') })
  afterAll(async () => { await s?.stop() })

  it.skipIf(skip)('creates a proxy key whose secret is shown once and stored only as a hash', async () => {
    const g = (await s.server.api('POST', '/api/groups', { name: 'pk-group', channel: 'openai', upstreams: upstream() })).body
    const input = { name: 'team a', groupIds: [g.id], models: ['gpt-4o*'], rpm: 60, tpm: 100_000, maxConcurrency: 4, budgetTokens: 1_000_000, budgetPeriod: 'month', budgetCost: 12.5, ipAllowlist: ['10.0.0.0/8', '::1'], expiresAt: Date.now() + 86_400_000, enabled: true }
    const r = await s.server.api('POST', '/api/proxy-keys', input)
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ ...input, id: expect.any(Number), key: expect.stringMatching(/^kg-[A-Za-z0-9]{40}$/) })
    expect(r.body.masked).toBe(`${r.body.key.slice(0, 5)}…${r.body.key.slice(-4)}`)
    const secret: string = r.body.key

    const list = await s.server.api('GET', '/api/proxy-keys')
    expect(list.body.total).toBe(1)
    expect(list.body.items[0]).not.toHaveProperty('key')
    expect(list.body.items[0]).not.toHaveProperty('keyHash')
    expect(JSON.stringify(list.body)).not.toContain(secret)
    const stored = await s.direct.query<{ key_hash: string }>('SELECT key_hash FROM proxy_keys')
    expect(stored[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(stored)).not.toContain(secret)

    const minimal = await s.server.api('POST', '/api/proxy-keys', { name: 'defaults' })
    expect(minimal.body).toMatchObject({ groupIds: [], models: [], rpm: 0, tpm: 0, maxConcurrency: 0, budgetTokens: 0, budgetPeriod: 'none', budgetCost: 0, ipAllowlist: [], expiresAt: null, enabled: true })
    expect(minimal.body.key).not.toBe(secret)
    const imported = await s.server.api('POST', '/api/proxy-keys', { name: 'kept', key: 'sk-legacy-consumer-key' })
    expect(imported.body).toMatchObject({ key: 'sk-legacy-consumer-key', masked: 'sk-le…-key' })
    expect((await s.server.api('POST', '/api/proxy-keys', { name: 'again', key: 'sk-legacy-consumer-key' })).status).toBe(409)
    expect((await s.server.api('GET', '/api/proxy-keys?q=team')).body.total).toBe(1)
    for (const q of ['pageSize=0', 'pageSize=501', 'page=abc'])
      expect((await s.server.api('GET', `/api/proxy-keys?${q}`)).status, q).toBe(400)
  })

  it.skipIf(skip)('updates and deletes proxy keys; refuses bad fields and unknown ids', async () => {
    const k = (await s.server.api('POST', '/api/proxy-keys', { name: 'to-edit' })).body
    const p = await s.server.api('PATCH', `/api/proxy-keys/${k.id}`, { enabled: false, rpm: 10, models: [] })
    expect(p.status).toBe(200)
    expect(p.body).toMatchObject({ id: k.id, enabled: false, rpm: 10, masked: k.masked })
    expect(p.body).not.toHaveProperty('key')
    const bad = await s.server.api('POST', '/api/proxy-keys', { name: '', groupIds: [0], rpm: -1, tpm: 1.5, budgetPeriod: 'year', expiresAt: 'tomorrow', enabled: 'yes', models: ['has space'], extra: true })
    expect(bad.status).toBe(400)
    expect(bad.body.data.issues.map((i: any) => i.path).sort()).toEqual(['budgetPeriod', 'enabled', 'expiresAt', 'extra', 'groupIds.0', 'models.0', 'name', 'rpm', 'tpm'])
    const unknownGroup = await s.server.api('POST', '/api/proxy-keys', { name: 'x', groupIds: [999999] })
    expect(unknownGroup.body.data.issues).toEqual([{ path: 'groupIds.0', message: expect.stringContaining('999999') }])
    expect((await s.server.api('PATCH', `/api/proxy-keys/${k.id}`, { key: 'new-secret-value' })).status).toBe(400)
    expect((await s.server.api('PATCH', '/api/proxy-keys/999999', { rpm: 1 })).status).toBe(404)
    expect((await s.server.api('PATCH', '/api/proxy-keys/abc', { rpm: 1 })).status).toBe(404)
    expect((await s.server.api('PATCH', `/api/proxy-keys/${k.id}`, { rpm: 'fast' })).body.data.issues).toEqual([{ path: 'rpm', message: expect.any(String) }])
    expect((await s.server.api('DELETE', `/api/proxy-keys/${k.id}`)).status).toBe(200)
    expect((await s.server.api('DELETE', `/api/proxy-keys/${k.id}`)).status).toBe(404)
  })

  it.skipIf(skip)('lists every setting with metadata and applies a valid PATCH at once', async () => {
    const r = await s.server.api('GET', '/api/settings')
    expect(r.status).toBe(200)
    const byKey = Object.fromEntries(r.body.map((x: any) => [x.key, x]))
    expect(byKey.max_retries).toMatchObject({ key: 'max_retries', value: 3, default: 3, type: 'int', min: 0, max: 100, category: expect.any(String), description: expect.any(String) })
    for (const k of ['app_url', 'request_log_retention_days', 'failover_status_codes', 'ban_status_codes', 'cooldown_seconds', 'key_validation_timeout_seconds', 'proxy_url'])
      expect(byKey[k], k).toBeDefined()
    const p = await s.server.api('PATCH', '/api/settings', { max_retries: 7, failover_status_codes: '429,500-599', request_log_body: true })
    expect(p.status).toBe(200)
    const after = Object.fromEntries((await s.server.api('GET', '/api/settings')).body.map((x: any) => [x.key, x.value]))
    expect(after).toMatchObject({ max_retries: 7, failover_status_codes: '429,500-599', request_log_body: true })
  })

  it.skipIf(skip)('refuses a bad settings PATCH listing each bad field, and changes nothing', async () => {
    const p = await s.server.api('PATCH', '/api/settings', { max_retries: 101, cooldown_seconds: 'soon', failover_status_codes: '99-700', app_url: 'ftp://x', request_log_body: 1, nope: 1 })
    expect(p.status).toBe(400)
    expect(p.body.data.issues.map((i: any) => i.path).sort()).toEqual(['app_url', 'cooldown_seconds', 'failover_status_codes', 'max_retries', 'nope', 'request_log_body'])
    const ok = await s.server.api('PATCH', '/api/settings', { max_retries: 2, key_rpm: -5 })
    expect(ok.status).toBe(400)
    const after = Object.fromEntries((await s.server.api('GET', '/api/settings')).body.map((x: any) => [x.key, x.value]))
    expect(after.max_retries).toBe(7)
  })
})
