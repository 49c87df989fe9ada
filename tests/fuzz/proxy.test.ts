import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzzParams } from '../support/fuzz'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../support/proxySeed'
import { rawRequest, type RawRequest, type RawResponse } from '../support/rawHttp'
import { createRecorder } from '../support/recorder'

/**
 * Property: whatever a consumer sends to the proxy routes (bad JSON, odd encodings, huge headers,
 * strange paths and query strings, credentials in every place), the answer is either a
 * well-formed error in the caller's API shape or the upstream's own answer relayed; no upstream
 * key changes state (none of it is the keys' fault); the process stays up and never leaks a key.
 * FUZZ_RUNS (default 10,000) requests, in concurrent batches.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const BATCH = 16
const UPSTREAM = {
  oa: ['sk-fuzz-proxy-openai-upstream-0001', 'sk-fuzz-proxy-openai-upstream-0002'],
  an: ['sk-ant-fuzz-proxy-upstream-000003'],
  ge: ['AIza-fuzz-proxy-gemini-upstream-04'],
  resp: ['sk-fuzz-proxy-responses-upstream-5'],
}
const ALL_UPSTREAM = Object.values(UPSTREAM).flat()
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded
let pk = ''
let modelPk = ''

beforeAll(async () => {
  mock = await startMockUpstream()
  // The provider refuses unknown fields as OpenAI does: refusals the gateway must relay without blaming a key.
  mock.setDefault({ rejectUnknownFields: true, headers: { 'x-mock-upstream': '1' } })
  const up = [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'fz-oa', channel: 'openai', upstreams: up, models: ['gpt-4o-mini', 'gpt-*'], keys: UPSTREAM.oa },
    { name: 'fz-an', channel: 'anthropic', upstreams: up, models: ['claude-*'], keys: UPSTREAM.an },
    { name: 'fz-ge', channel: 'gemini', upstreams: up, models: ['gemini-*'], keys: UPSTREAM.ge },
    { name: 'fz-resp', channel: 'openai-response', upstreams: up, models: ['o*'], keys: UPSTREAM.resp },
  ], [{ name: 'any' }, { name: 'models-only', models: ['gpt-4o-mini'] }], { env: { LOG_LEVEL: 'warn', REQUEST_BODY_TIMEOUT: '5' } })
  ;[pk, modelPk] = s.proxyKeys as [string, string]
}, 60_000)
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(ALL_UPSTREAM, [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

// ── generators ───────────────────────────────────────────────────────────────────────────────

const GROUPS = { 'fz-oa': 'openai', 'fz-an': 'anthropic', 'fz-ge': 'gemini', 'fz-resp': 'openai' } as const
type Api = 'openai' | 'anthropic' | 'gemini'

const weird = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('', 'gpt-4o-mini', 'claude-3-5-haiku-latest', 'gemini-2.0-flash', 'o1', '../../admin', '%2e%2e', '\u0000', '\uD800', 'a'.repeat(300),
    'gpt-4o-mini\n', ' gpt-4o-mini', 'GPT-4O-MINI', '*', 'gpt-*', '__proto__', 'constructor'),
)
const jsonish: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  v: fc.oneof({ depthSize: 'small' }, weird, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(weird, tie('v'), { maxKeys: 3 })),
})).v
const streamValue = fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null, {}, []))
const openaiBody = fc.record({
  model: fc.oneof(weird, jsonish), messages: fc.oneof(fc.constant([{ role: 'user', content: 'hi' }]), jsonish), stream: streamValue,
  stream_options: fc.oneof(fc.constant({ include_usage: true }), fc.constant({ include_usage: false }), jsonish),
  tools: jsonish, input: weird, max_tokens: fc.oneof(fc.integer(), weird), not_a_field: jsonish,
}, { requiredKeys: [] })
const anthropicBody = fc.record({
  model: fc.oneof(weird, jsonish), max_tokens: fc.oneof(fc.integer(), weird), stream: streamValue,
  messages: fc.oneof(fc.constant([{ role: 'user', content: 'hi' }]), jsonish), system: jsonish,
}, { requiredKeys: [] })
const geminiBody = fc.record({ contents: fc.oneof(fc.constant([{ role: 'user', parts: [{ text: 'hi' }] }]), jsonish), generationConfig: jsonish }, { requiredKeys: [] })
const deep = (n: number) => `{"model":"gpt-4o-mini","messages":${'['.repeat(n)}${']'.repeat(n)}}`
const body = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(openaiBody, anthropicBody, geminiBody).map(b => JSON.stringify(b)) },
  { weight: 1, arbitrary: jsonish.map(v => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"model":', 'null', '[]', '"str"', '{"model":"gpt-4o-mini"}{"x":1}', '\uFEFF{"model":"gpt-4o-mini"}',
    '{"model":"gpt-4o-mini","model":"claude-3-5-haiku-latest"}', deep(20), deep(3000), `{"model":"${'x'.repeat(200_000)}"}`,
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${'y'.repeat(600_000)}"}]}`) },
)

const ENDPOINTS = [
  '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages', '/v1/messages/count_tokens', '/v1/models',
  '/v1/models/gpt-4o-mini', '/v1beta/models', '/v1beta/models/gemini-2.0-flash:generateContent', '/v1beta/models/gemini-2.0-flash:streamGenerateContent',
  '/v1beta/models/gemini-2.0-flash:countTokens', '/v1beta/openai/chat/completions', '/v1beta/openai/models', '/v1/files', '/v1/organization/users',
  '/v1/fine_tuning/jobs', '/v1/audio/speech',
]
const STRANGE = [
  '/v1/../api/groups', '/v1/%2e%2e/api/groups', '/v1//chat/completions', '/v1/chat/completions/', '/v1/chat%2Fcompletions', '/v1/chat/completions%00',
  '/v1/chat/completions;x=1', '/v1beta/models/%ZZ:generateContent', '/v1beta/models/..%2f..%2fx:generateContent', '/v1beta/models/:generateContent',
  `/v1beta/models/${'g'.repeat(3000)}:generateContent`, '/v1/chat/completions#frag', '/v1/\u00e9', '/v1/%E2%82%AC', '/v1/chat/completions/../../x',
  '/v1beta/models/gemini-2.0-flash:generateContent/extra', '/v1/messages?', '/v1/*', '/v1/%', '/v1beta/models/gemini-2.0-flash%3AgenerateContent',
]
const path = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ENDPOINTS) },
  { weight: 2, arbitrary: fc.constantFrom(...STRANGE) },
  { weight: 1, arbitrary: fc.webPath().map(p => `/v1${p.startsWith('/') ? '' : '/'}${p}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(x => `/v1/${x.replace(/[\s\r\n]/g, '')}`) },
)
const prefix = fc.constantFrom('', '', '', '/proxy/fz-oa', '/proxy/fz-an', '/proxy/fz-ge', '/proxy/fz-resp', '/proxy/nope', '/proxy/FZ-OA', '/proxy/fz-oa%2F..')

type Auth = 'bearer' | 'x-api-key' | 'x-goog-api-key' | 'query' | 'none' | 'wrong' | 'upstream' | 'conflicting' | 'lower-bearer' | 'basic' | 'models-only'
const auth = fc.constantFrom<Auth>('bearer', 'bearer', 'x-api-key', 'x-goog-api-key', 'query', 'none', 'wrong', 'upstream', 'conflicting', 'lower-bearer',
  'basic', 'models-only')
const extraHeaders = fc.array(fc.oneof(
  fc.constantFrom<[string, string]>(['content-encoding', 'gzip'], ['content-encoding', 'br'], ['content-encoding', 'identity'], ['content-encoding', 'x-nope'],
    ['anthropic-version', '2023-06-01'], ['anthropic-version', '\u00ff\u00fe'], ['anthropic-beta', 'a,b,c'], ['openai-organization', 'org-evil'],
    ['x-goog-user-project', 'evil'], ['x-forwarded-for', '1.2.3.4, evil'], ['accept-encoding', 'gzip, br'], ['accept', 'text/event-stream'],
    ['x-keygate-explain', '1'], ['x-keygate-affinity', 'conv-1'], ['connection', 'upgrade'], ['upgrade', 'websocket'], ['expect', '100-continue'],
    ['x-big', 'h'.repeat(8000)], ['x-huge', 'H'.repeat(70_000)], ['cookie', 'a=b'], ['te', 'trailers'], ['x-utf8', '\u00c3\u00a9\u00e2\u0082\u00ac']),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(v => v.replace(/[\r\n\0]/g, ''))),
), { maxLength: 5 })
const contentType = fc.option(fc.constantFrom('application/json', 'application/json', 'application/json; charset=latin1', 'text/plain',
  'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-stream', ''), { freq: 6 })
const query = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('?alt=sse', '?key=', '?key=a&key=b', '?%zz', '?a=%', '?alt=sse&alt=json', '?x=\u00e9', `?q=${'q'.repeat(9000)}`) },
  { weight: 1, arbitrary: fc.webQueryParameters().map(q => (q ? `?${q}` : '')) },
)

type Case = {
  method: string
  prefix: string
  path: string
  query: string
  auth: Auth
  headers: [string, string][]
  contentType: string | null
  body: string | null
}
const anything: fc.Arbitrary<Case> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  prefix, path, query, auth, headers: extraHeaders, contentType, body: fc.option(body, { freq: 8 }),
})
/** Requests a real client could send, with the fuzz in what the gateway does not validate: these reach the upstream. */
const PLAUSIBLE: { prefix: string[]; path: string; body: fc.Arbitrary<unknown> }[] = [
  { prefix: ['', '/proxy/fz-oa'], path: '/v1/chat/completions', body: openaiBody.map(b => ({ ...b, model: 'gpt-4o-mini' })) },
  { prefix: ['', '/proxy/fz-oa'], path: '/v1/embeddings', body: fc.record({ model: fc.constant('gpt-4o-mini'), input: jsonish }) },
  { prefix: ['', '/proxy/fz-resp'], path: '/v1/responses', body: openaiBody.map(b => ({ ...b, model: 'o1' })) },
  { prefix: ['', '/proxy/fz-an'], path: '/v1/messages', body: anthropicBody.map(b => ({ ...b, model: 'claude-3-5-haiku-latest' })) },
  { prefix: ['', '/proxy/fz-ge'], path: '/v1beta/models/gemini-2.0-flash:generateContent', body: geminiBody },
  { prefix: ['', '/proxy/fz-ge'], path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent', body: geminiBody },
  { prefix: ['', '/proxy/fz-ge'], path: '/v1beta/openai/chat/completions', body: openaiBody.map(b => ({ ...b, model: 'gemini-2.0-flash' })) },
]
const plausible: fc.Arbitrary<Case> = fc.constantFrom(...PLAUSIBLE).chain(p => fc.record({
  method: fc.constant('POST'), prefix: fc.constantFrom(...p.prefix), path: fc.constant(p.path),
  query: fc.constantFrom('', '', '?alt=sse', '?x=1'), auth: fc.constantFrom<Auth>('bearer', 'x-api-key', 'x-goog-api-key', 'query', 'lower-bearer'),
  headers: extraHeaders.map(h => h.filter(([k]) => k !== 'x-huge' && k !== 'content-encoding')), contentType: fc.constant('application/json'),
  body: p.body.map(b => JSON.stringify(b)),
}))
const fuzzCase = fc.oneof({ weight: 2, arbitrary: anything }, { weight: 1, arbitrary: plausible })

function toRaw(c: Case): RawRequest {
  const headers: [string, string][] = []
  let q = c.query
  const add = (k: string, v: string) => headers.push([k, v])
  switch (c.auth) {
    case 'bearer': add('authorization', `Bearer ${pk}`); break
    case 'lower-bearer': add('authorization', `bearer   ${pk}  `); break
    case 'x-api-key': add('x-api-key', pk); break
    case 'x-goog-api-key': add('x-goog-api-key', pk); break
    case 'query': q = `${q ? `${q}&` : '?'}key=${encodeURIComponent(pk)}`; break
    case 'wrong': add('authorization', `Bearer ${pk}x`); break
    case 'upstream': add('authorization', `Bearer ${UPSTREAM.oa[0]}`); break
    case 'conflicting': add('authorization', 'Bearer sk-nonsense'); add('x-api-key', pk); break
    case 'basic': add('authorization', `Basic ${Buffer.from(`u:${pk}`).toString('base64')}`); break
    case 'models-only': add('authorization', `Bearer ${modelPk}`); break
    case 'none': break
  }
  if (c.contentType !== null) add('content-type', c.contentType)
  for (const [k, v] of c.headers) add(k, v)
  return { method: c.method, target: c.prefix + c.path + q, headers, body: c.body === null ? undefined : Buffer.from(c.body, 'utf8') }
}

/** The API whose error shape the caller must get (CONTRACT §2 "Errors"); null where the contract leaves it open. */
function expectedApi(c: Case): Api | null {
  if (c.prefix.startsWith('/proxy/')) {
    const g = GROUPS[c.prefix.slice(7) as keyof typeof GROUPS]
    if (!g) return null
    return g === 'gemini' && c.path.startsWith('/v1beta/openai/') ? 'openai' : g
  }
  if (c.path === '/v1/messages' || c.path.startsWith('/v1/messages/') || c.path.startsWith('/v1/messages?')) return 'anthropic'
  // The Anthropic SDK lists models at /v1/models too, telling itself apart by its version header.
  if (c.path === '/v1/models' && c.headers.some(([k]) => k === 'anthropic-version')) return 'anthropic'
  if (c.path.startsWith('/v1beta/openai/')) return 'openai'
  if (c.path.startsWith('/v1beta/')) return 'gemini'
  return 'openai'
}

const isStr = (v: unknown) => typeof v === 'string'
function errorShape(body: unknown): Api | null {
  const b = body as any
  if (b?.type === 'error' && isStr(b.error?.type) && isStr(b.error?.message)) return 'anthropic'
  if (b?.error && typeof b.error.code === 'number' && isStr(b.error.message) && isStr(b.error.status)) return 'gemini'
  if (b?.error && isStr(b.error.message) && isStr(b.error.type)) return 'openai'
  return null
}

/** What is wrong with an answer, or null when it is one of the allowed kinds. */
function verdict(c: Case, a: RawResponse & { timedOut: boolean }): string | null {
  if (a.timedOut) return 'no answer within 15 s'
  if (a.status === 0) return 'connection closed without an answer'
  if (a.headers['x-mock-upstream'] === '1') return null // the provider's own answer, relayed
  // Refused by Node's HTTP parser before any route runs (a request line or header block past 16 KiB, bad framing).
  if ((a.status === 431 || a.status === 400) && a.body.length === 0 && a.headers.connection === 'close' && !a.headers['content-type']) return null
  if (c.method === 'HEAD') return a.status >= 400 || a.status === 200 ? null : `HEAD answered ${a.status}`
  if (a.incomplete) return `incomplete answer (${a.status})`
  let json: unknown
  try { json = JSON.parse(a.body.toString('utf8')) } catch { return `${a.status} with a body that is not JSON: ${a.body.toString('utf8').slice(0, 200)}` }
  if (a.status < 400) {
    // Keygate's own answer: a model list.
    const list = json as any
    if (a.status === 200 && c.method === 'GET' && (Array.isArray(list?.data) || Array.isArray(list?.models))) return null
    return `${a.status} that is neither relayed nor a model list`
  }
  // The upstream is always reachable here: a 5xx of the gateway's own is a fault in the gateway.
  if (a.status >= 500 && a.status !== 503) return `${a.status} from the gateway: ${a.body.toString('utf8').slice(0, 300)}`
  const shape = errorShape(json)
  if (!shape) return `${a.status} error body in no API's shape: ${a.body.toString('utf8').slice(0, 300)}`
  const want = expectedApi(c)
  if (want && shape !== want) return `${a.status} error in ${shape}'s shape, caller speaks ${want}: ${a.body.toString('utf8').slice(0, 200)}`
  return null
}

describe('proxy fuzzing', () => {
  it(`${RUNS} generated requests: well-formed errors or relayed answers, no key changes state, the process stays up`, async () => {
    let sent = 0
    let relayed = 0
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(fc.array(fuzzCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const answers = await Promise.all(batch.map(c => rawRequest(s.server.port, toRaw(c))))
      sent += batch.length
      answers.forEach((a, i) => {
        const c = batch[i]!
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
        if (a.headers['x-mock-upstream']) relayed++
        rec.add(a.body.toString('utf8'), a.headers)
        const problem = verdict(c, a)
        expect(problem, `${c.method} ${c.prefix}${c.path}${c.query.slice(0, 100)} auth=${c.auth} headers=${JSON.stringify(c.headers.map(h => h[0]))}`
        + ` body=${(c.body ?? '').slice(0, 200)}: ${problem}`).toBe(null)
      })
      expect(s.server.process.exitCode).toBe(null)
    }), fuzzParams<[Case[]]>(Math.ceil(RUNS / BATCH)))
    expect(sent).toBeGreaterThanOrEqual(RUNS)
    console.log(`proxy fuzz: ${sent} requests, ${relayed} relayed from the upstream, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`)
    // The generated requests must reach the upstream often enough for the key check to mean something.
    expect(relayed).toBeGreaterThan(RUNS / 20)
    await new Promise(r => setTimeout(r, 1200)) // key states reach the database in 500 ms batches
    for (const id of Object.values(s.groupIds)) {
      for (const k of await keyRows(s.server, id)) {
        expect({ status: k.status, consecutiveFailures: k.consecutiveFailures, lastError: k.lastError ?? null })
          .toEqual({ status: 'active', consecutiveFailures: 0, lastError: null })
      }
    }
    expect((await fetch(`${s.server.url}/health`)).status).toBe(200)
    expect(s.server.output()).not.toMatch(/uncaught|unhandled|internal gateway error|proxy request failed/i)
  }, 600_000)
})
