import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { MOCK_ACCOUNT, startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'
import { createRecorder } from '../../support/recorder'

/**
 * What a consumer holding a proxy key must not be able to do to the pool: make the provider
 * blame our keys (an echoed field name, another account's header, an admin endpoint), spread
 * such a request over several keys, or reach the provider's API beyond inference.
 */
const keysOf = (group: string, n: number) => Array.from({ length: n }, (_, i) => `sk-${group}-security-upstream-key-${1000 + i}`)
const K = { pool: keysOf('pool', 4), claude: keysOf('claude', 2), gem: keysOf('gem', 2), bad: keysOf('bad', 2), gbad: keysOf('gbad', 2), files: keysOf('files', 1) }
const ALL_KEYS = Object.values(K).flat()
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  // blacklist_threshold 1: a single blamed attempt would make a key invalid.
  const strict = { blacklist_threshold: 1, max_retries: 3 }
  s = await startSeeded([
    { name: 'pool', channel: 'openai', upstreams: up, models: ['gpt-*'], keys: K.pool, config: strict },
    { name: 'claude', channel: 'anthropic', upstreams: up, models: ['claude-*'], keys: K.claude, config: strict },
    { name: 'gem', channel: 'gemini', upstreams: up, models: ['gemini-*'], keys: K.gem, config: strict },
    { name: 'bad', channel: 'openai', upstreams: up, models: [], keys: K.bad, config: { blacklist_threshold: 2 } },
    { name: 'gbad', channel: 'gemini', upstreams: up, models: [], keys: K.gbad, config: { blacklist_threshold: 2 } },
    { name: 'files', channel: 'openai', upstreams: up, models: [], keys: K.files, allowedPaths: ['POST /v1/files'] },
  ])
})
beforeEach(() => mock.reset())
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(ALL_KEYS, [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

type Answer = { status: number; json: any }

/**
 * A request sent exactly as written: fetch() and a URL string would resolve `..` and `%2e%2e`
 * before sending, which a hostile client does not.
 */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname: '127.0.0.1', port: s.server.port, path, method, headers: {
      authorization: `Bearer ${s.proxyKeys[0]}`,
      ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
      ...headers,
    } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        rec.add(text)
        let json: unknown = text
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, json })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }
const GEMINI = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }

async function rowsOf(group: string) {
  return keyRows(s.server, s.groupIds[group]!)
}

async function statusOf(group: string, secret: string) {
  return (await rowsOf(group)).find((r: any) => r.masked === maskSecret(secret))
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > end) return v
    await new Promise(r => setTimeout(r, 50))
  }
}

describe('hostile requests leave the pool alone', () => {
  it('an unknown field the provider echoes (billing_x) goes back as the 400 it is, on one key', async () => {
    mock.setDefault({ rejectUnknownFields: true })
    for (const path of ['/proxy/pool/v1/chat/completions', '/v1/chat/completions']) {
      const r = await raw('POST', path, {}, { ...CHAT, billing_x: 1 })
      expect(r.status).toBe(400)
      expect(r.json).toMatchObject({ error: { message: 'Unrecognized request argument supplied: billing_x', type: 'invalid_request_error' } })
    }
    // One attempt each: not spread over the other keys, whatever failover_status_codes says.
    expect(mock.requests).toHaveLength(2)
    // The same request without the field still works.
    expect((await raw('POST', '/v1/chat/completions', {}, CHAT)).status).toBe(200)
  })

  it("another account's OpenAI-Organization / OpenAI-Project / x-goog-user-project never reaches the provider", async () => {
    for (const headers of [{ 'openai-organization': 'org-attacker' }, { 'openai-project': 'proj_attacker' }] as Record<string, string>[]) {
      expect((await raw('POST', '/proxy/pool/v1/chat/completions', headers, CHAT)).status).toBe(200)
      expect((await raw('POST', '/v1/chat/completions', headers, CHAT)).status).toBe(200)
    }
    const g = await raw('POST', '/v1beta/models/gemini-2.0-flash:generateContent', { 'x-goog-api-key': s.proxyKeys[0]!, 'x-goog-user-project': 'attacker' }, GEMINI)
    expect(g.status).toBe(200)
    expect(mock.requests).toHaveLength(5)
    for (const r of mock.requests) {
      expect(r.headers['openai-organization']).toBeUndefined()
      expect(r.headers['openai-project']).toBeUndefined()
      expect(r.headers['x-goog-user-project']).toBeUndefined()
    }
  })

  it('admin, file, batch and fine-tuning endpoints answer 404 in the caller\'s shape without an upstream call', async () => {
    const openAiRefusals: [string, string][] = [
      ['GET', '/proxy/pool/v1/organization/users'],
      ['POST', '/v1/organization/admin_api_keys'],
      ['POST', '/proxy/pool/v1/files'],
      ['GET', '/v1/files'],
      ['POST', '/v1/batches'],
      ['POST', '/proxy/pool/v1/fine_tuning/jobs'],
      ['DELETE', '/proxy/pool/v1/models/ft:gpt-4o-mini:acme::abc'],
    ]
    for (const [method, path] of openAiRefusals) {
      const r = await raw(method, path, {}, method === 'GET' || method === 'DELETE' ? undefined : CHAT)
      expect(r.status, `${method} ${path}`).toBe(404)
      expect(r.json, `${method} ${path}`).toMatchObject({ error: { type: 'invalid_request_error', code: 'endpoint_not_allowed' } })
    }
    const batches = await raw('POST', '/v1/messages/batches', { 'x-api-key': s.proxyKeys[0]!, 'anthropic-version': '2023-06-01' }, { requests: [] })
    expect(batches.status).toBe(404)
    expect(batches.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
    const files = await raw('POST', '/v1beta/files', { 'x-goog-api-key': s.proxyKeys[0]! }, { file: {} })
    expect(files.status).toBe(404)
    expect(files.json).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } })
    expect(mock.requests).toHaveLength(0)
  })

  it('dot segments and encoded slashes are refused with 400 before anything else', async () => {
    for (const path of [
      '/proxy/pool/v1/chat/../organization/users',
      '/v1/chat/completions/../../v1/files',
      '/proxy/pool/v1/%2e%2e/v1/organization/users',
      '/proxy/pool/v1/organization%2fusers',
      '/v1beta/models/gemini-2.0-flash:generateContent/..%5c..%5cfiles',
    ]) {
      const r = await raw('POST', path, {}, CHAT)
      expect(r.status, path).toBe(400)
      expect(JSON.stringify(r.json), path).toMatch(/dot segments|encoded slashes/)
    }
    expect(mock.requests).toHaveLength(0)
  })

  it('after all of it every key is active with no failure counted', async () => {
    for (const g of ['pool', 'claude', 'gem']) {
      const rows = await rowsOf(g)
      expect(rows.length).toBe(K[g as keyof typeof K].length)
      for (const r of rows) expect(r, `${g} ${r.masked}`).toMatchObject({ status: 'active', consecutiveFailures: 0 })
    }
    const metrics = await (await fetch(`${s.server.url}/metrics`)).text()
    expect(metrics).not.toMatch(/keygate_keys\{group="(pool|claude|gem)",state="invalid"\} [1-9]/)
  })
})

describe('real bad keys are still caught', () => {
  it('an OpenAI 401 invalid_api_key invalidates the key after blacklist_threshold', async () => {
    const bad = K.bad[0]!
    mock.onKey(bad, { status: 401 }) // the mock's OpenAI body: code invalid_api_key
    for (let i = 0; i < 6; i++) expect((await raw('POST', '/proxy/bad/v1/chat/completions', {}, CHAT)).status).toBe(200)
    expect(mock.keysUsed().filter(k => k === bad)).toHaveLength(2)
    expect(await eventually(() => statusOf('bad', bad), r => r?.status === 'invalid')).toMatchObject({ status: 'invalid' })
  })

  it('a Gemini 400 with ErrorInfo API_KEY_INVALID invalidates the key after blacklist_threshold', async () => {
    const bad = K.gbad[0]!
    mock.onKey(bad, { status: 400, errorBody: { error: {
      code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'API_KEY_INVALID', 'domain': 'googleapis.com' }],
    } } })
    for (let i = 0; i < 6; i++) {
      const r = await raw('POST', '/proxy/gbad/v1beta/models/gemini-2.0-flash:generateContent', { 'x-goog-api-key': s.proxyKeys[0]! }, GEMINI)
      expect(r.status).toBe(200)
    }
    expect(mock.keysUsed().filter(k => k === bad)).toHaveLength(2)
    expect(await eventually(() => statusOf('gbad', bad), r => r?.status === 'invalid')).toMatchObject({ status: 'invalid' })
  })

  it('a header rule may still set the organisation for the group', async () => {
    const r = await s.server.api('PATCH', `/api/groups/${s.groupIds.pool}`, { headerRules: [{ name: 'OpenAI-Organization', value: MOCK_ACCOUNT.organization, action: 'set' }] })
    expect(r.status).toBe(200)
    await eventually(async () => {
      mock.reset()
      await raw('POST', '/proxy/pool/v1/chat/completions', { 'openai-organization': 'org-attacker' }, CHAT)
      return mock.requests[0]?.headers['openai-organization']
    }, v => v === MOCK_ACCOUNT.organization)
    expect(mock.requests[0]?.headers['openai-organization']).toBe(MOCK_ACCOUNT.organization)
  })
})

describe('allowedPaths', () => {
  it('a group that lists "POST /v1/files" reaches /v1/files; other groups do not', async () => {
    const r = await raw('POST', '/proxy/files/v1/files', {}, { purpose: 'batch' })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ id: 'file-mock', object: 'file' })
    expect(mock.requests.map(q => `${q.method} ${q.path}`)).toEqual(['POST /v1/files'])
    expect((await raw('GET', '/proxy/files/v1/files')).status).toBe(404)
    expect((await raw('POST', '/proxy/pool/v1/files', {}, { purpose: 'batch' })).status).toBe(404)
    expect(mock.requests).toHaveLength(1)
  })

  it('is shown, changed and validated through the management API', async () => {
    const g = await s.server.api('GET', `/api/groups/${s.groupIds.files}`)
    expect(g.body.allowedPaths).toEqual(['POST /v1/files'])
    const bad = await s.server.api('PATCH', `/api/groups/${s.groupIds.files}`, { allowedPaths: ['POST /v1/../admin'] })
    expect(bad.status).toBe(400)
    expect(bad.body.data.issues[0].path).toBe('allowedPaths.0')
    const ok = await s.server.api('PATCH', `/api/groups/${s.groupIds.files}`, { allowedPaths: ['POST /v1/files', 'GET /v1/files/*'] })
    expect(ok.body.allowedPaths).toEqual(['POST /v1/files', 'GET /v1/files/*'])
  })
})
