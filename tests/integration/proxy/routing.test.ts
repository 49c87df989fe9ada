import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'
import { createRecorder } from '../../support/recorder'

/** Group choice, redirects, overrides, header rules and proxy-key enforcement. */
const k = (name: string) => `sk-${name}-routing-upstream-0123456789`
const KEYS = ['primary', 'backup', 'sub1', 'sub2', 'redir', 'rules', 'only'].map(k)
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'primary', channel: 'openai', upstreams: up, models: ['fb-*'], priority: 0, keys: [k('primary')] },
    { name: 'backup', channel: 'openai', upstreams: up, models: ['fb-*'], priority: 5, keys: [k('backup')] },
    { name: 'sub1', channel: 'openai', upstreams: up, models: [], keys: [k('sub1')], config: { blacklist_threshold: 1 } },
    { name: 'sub2', channel: 'openai', upstreams: up, models: [], keys: [k('sub2')] },
    { name: 'agg', channel: 'openai', type: 'aggregate', models: ['agg-model'], subGroups: [{ name: 'sub1', weight: 3 }, { name: 'sub2', weight: 1 }] },
    { name: 'redir', channel: 'openai', upstreams: up, models: ['plain-model'], modelRedirects: { 'alias-model': 'gpt-4o' }, modelRedirectStrict: false, paramOverrides: { temperature: 0.1 }, keys: [k('redir')] },
    { name: 'strict', channel: 'openai', upstreams: up, models: [], modelRedirects: { 'strict-alias': 'gpt-4o-mini' }, modelRedirectStrict: true, keys: [k('only')] },
    { name: 'rules', channel: 'anthropic', upstreams: [{ url: `${mock.url}/base`, weight: 1 }], models: ['claude-rules'], keys: [k('rules')], headerRules: [
      { name: 'X-Who', value: '${GROUP_NAME}@${CLIENT_IP}', action: 'set' },
      { name: 'X-Stamp', value: '${TIMESTAMP_S}', action: 'set' },
      { name: 'User-Agent', value: '', action: 'remove' },
    ] },
  ], [
    {},
    { name: 'only-primary', groups: ['primary'] },
    { name: 'only-gpt4o', models: ['fb-one'] },
    { name: 'rpm', rpm: 2 },
    { name: 'conc', maxConcurrency: 1 },
    { name: 'expired', expiresAt: Date.now() - 1000 },
    { name: 'off', enabled: false },
  ], { env: { ENABLE_CORS: 'true' } })
})
beforeEach(() => mock.reset())
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(KEYS, [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

const [ALL, ONLY_PRIMARY, ONLY_MODEL, RPM, CONC, EXPIRED, OFF] = [0, 1, 2, 3, 4, 5, 6]
async function chat(model: string, pk = ALL, path = '/v1/chat/completions', extra: Record<string, string> = {}) {
  const r = await rec.fetch(`${s.server.url}${path}`, {
    method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[pk]}`, 'content-type': 'application/json', ...extra },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  })
  return { status: r.status, headers: r.headers, body: await r.json() as any }
}

describe('unified routes pick groups by model and priority', () => {
  it('sends a model to the best-priority group serving it', async () => {
    expect((await chat('fb-one')).status).toBe(200)
    expect(mock.keysUsed()).toEqual([k('primary')])
  })

  it('falls back to the next group when the first has no usable key', async () => {
    mock.onKey(k('primary'), { status: 429, headers: { 'retry-after': '30' } })
    const r = await chat('fb-one')
    expect(r.status).toBe(200)
    expect(mock.keysUsed()).toEqual([k('primary'), k('backup')])
    expect((await chat('fb-two')).status).toBe(200)
    expect(mock.keysUsed().at(-1)).toBe(k('backup'))
  })

  it('answers 404 for a model nobody serves and 403 for a group or model the key may not use', async () => {
    expect((await chat('no-such-model')).status).toBe(404)
    expect((await chat('agg-model', ONLY_PRIMARY)).status).toBe(403)
    const r = await chat('fb-two', ONLY_MODEL)
    expect(r.status).toBe(403)
    expect(r.body.error.message).toContain('fb-two')
    const g = await rec.fetch(`${s.server.url}/proxy/backup/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${s.proxyKeys[ONLY_PRIMARY]}` }, body: '{}' })
    expect(g.status).toBe(403)
  })

  it('aggregate groups split traffic by sub-group weight and skip a sub-group with no usable key', async () => {
    for (let i = 0; i < 8; i++) expect((await chat('agg-model')).status).toBe(200)
    const used = mock.keysUsed()
    expect(used.filter(x => x === k('sub1')).length).toBe(6)
    expect(used.filter(x => x === k('sub2')).length).toBe(2)
    mock.reset()
    mock.onKey(k('sub1'), { status: 401 })
    for (let i = 0; i < 6; i++) expect((await chat('agg-model')).status).toBe(200)
    expect(mock.keysUsed().filter(x => x === k('sub1')).length).toBe(1)
  })
})

describe('model redirects, parameter overrides and header rules', () => {
  it('redirects a model and applies overrides; the model list shows the alias', async () => {
    const r = await chat('alias-model')
    expect(r.status).toBe(200)
    expect(mock.requests[0]!.json).toMatchObject({ model: 'gpt-4o', temperature: 0.1 })
    const plain = await chat('plain-model')
    expect(plain.status).toBe(200)
    expect(mock.requests[1]!.json.model).toBe('plain-model')
    const list = await (await rec.fetch(`${s.server.url}/v1/models`, { headers: { authorization: `Bearer ${s.proxyKeys[ALL]}` } })).json() as any
    expect(list.data.map((m: any) => m.id)).toEqual(expect.arrayContaining(['alias-model', 'plain-model', 'strict-alias']))
  })

  it('strict redirects refuse models not in the map', async () => {
    expect((await chat('strict-alias', ALL, '/proxy/strict/v1/chat/completions')).status).toBe(200)
    expect(mock.requests[0]!.json.model).toBe('gpt-4o-mini')
    expect((await chat('gpt-4o', ALL, '/proxy/strict/v1/chat/completions')).status).toBe(400)
  })

  it('header rules set and remove headers with variables; client credentials never reach the upstream', async () => {
    const r = await rec.fetch(`${s.server.url}/proxy/rules/v1/messages?key=${s.proxyKeys[ALL]}&beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024-04-04', 'cookie': 'session=abc', 'user-agent': 'my-agent' },
      body: JSON.stringify({ model: 'claude-rules', max_tokens: 1, messages: [] }),
    })
    expect(r.status).toBe(200)
    const req = mock.requests[0]!
    expect(req.path).toBe('/base/v1/messages')
    expect(req.query.get('key')).toBeNull()
    expect(req.query.get('beta')).toBe('true')
    expect(req.headers['x-who']).toBe('rules@127.0.0.1')
    expect(Math.abs(Number(req.headers['x-stamp']) - Date.now() / 1000)).toBeLessThan(5)
    expect(req.headers['user-agent']).toBeUndefined()
    expect(req.headers.cookie).toBeUndefined()
    expect(req.headers['anthropic-version']).toBe('2023-06-01')
    expect(req.headers['anthropic-beta']).toBe('tools-2024-04-04')
    expect(req.headers['x-api-key']).toBe(k('rules'))
    expect(JSON.stringify(req.headers)).not.toContain(s.proxyKeys[ALL])
  })
})

describe('proxy key enforcement', () => {
  it('refuses disabled keys with 401 and expired ones with 403', async () => {
    expect((await chat('fb-one', EXPIRED)).status).toBe(403)
    expect((await chat('fb-one', OFF)).status).toBe(401)
  })

  it('enforces rpm with 429 and Retry-After in the caller\'s shape', async () => {
    // Stay inside one minute window so the count is deterministic.
    if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 50)
    expect((await chat('fb-one', RPM)).status).toBe(200)
    expect((await chat('fb-one', RPM)).status).toBe(200)
    const r = await chat('fb-one', RPM)
    expect(r.status).toBe(429)
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(r.body.error).toMatchObject({ type: expect.any(String), message: expect.stringContaining('per minute') })
  })

  it('enforces maxConcurrency with 429', async () => {
    mock.setDefault({ delayMs: 400 })
    const first = chat('fb-one', CONC)
    await sleep(100)
    const second = await chat('fb-one', CONC)
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBeTruthy()
    expect((await first).status).toBe(200)
  })
})

describe('CORS (ENABLE_CORS=true)', () => {
  it('answers preflights and marks responses', async () => {
    const pre = await fetch(`${s.server.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { 'origin': 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('*')
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization')
    const r = await rec.fetch(`${s.server.url}/v1/models`, { headers: { authorization: `Bearer ${s.proxyKeys[ALL]}`, origin: 'https://app.example' } })
    expect(r.headers.get('access-control-allow-origin')).toBe('*')
  })
})
