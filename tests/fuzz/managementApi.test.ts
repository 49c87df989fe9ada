import Database from 'better-sqlite3'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { startSeeded, type Seeded } from '../support/proxySeed'
import { fuzzParams } from '../support/fuzz'
import { rawRequest, type RawRequest } from '../support/rawHttp'
import { TEST_AUTH_KEY } from '../support/server'

/**
 * Property: whatever a caller sends to the management API (wrong types, huge and unicode
 * strings, missing and extra fields, bad ids, wrong methods and content types, no or wrong
 * credentials), the answer is never a 5xx, the process stays up, and a refused request leaves
 * the database as it was. FUZZ_RUNS (default 10,000) requests, in concurrent batches.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const BATCH = 16
let mock: MockUpstream
let s: Seeded
let db: Database.Database
const ids = { group: 0, agg: 0, key: 0, proxyKey: 0 }

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  // TRUST_PROXY lets the wrong-credential cases come from many addresses, so the admin-key
  // guessing limit (per address) never locks out the fuzzer's own authorised requests.
  s = await startSeeded([
    { name: 'fz-a', channel: 'openai', upstreams: up, models: ['gpt-4o-mini'], keys: ['sk-fuzz-mgmt-upstream-000000000001', 'sk-fuzz-mgmt-upstream-000000000002'] },
    { name: 'fz-b', channel: 'anthropic', upstreams: up, models: ['claude-*'], keys: ['sk-ant-fuzz-mgmt-upstream-000003'] },
    { name: 'fz-agg', channel: 'openai', type: 'aggregate', models: ['agg-*'], subGroups: [{ name: 'fz-a', weight: 1 }] },
  ], [{ name: 'fz-pk' }], { env: { TRUST_PROXY: 'true', LOG_LEVEL: 'warn' } })
  ids.group = s.groupIds['fz-a']!
  ids.agg = s.groupIds['fz-agg']!
  ids.key = (await s.server.api('GET', `/api/groups/${ids.group}/keys`)).body.items[0].id
  ids.proxyKey = (await s.server.api('GET', '/api/proxy-keys')).body.items[0].id
  db = new Database(join(s.server.dataDir, 'keygate.db'), { readonly: true, fileMustExist: true })
}, 60_000)
afterAll(async () => {
  db?.close()
  await s?.server.stop()
  await mock?.close()
})

/** Every table a management call may change (request logs and hourly stats come from the proxy only). */
function snapshot(): string {
  const h = createHash('sha256')
  for (const t of ['groups', 'group_sub_groups', 'api_keys', 'proxy_keys', 'settings', 'tasks']) {
    h.update(t)
    h.update(JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all()))
  }
  return h.digest('hex')
}

// ── generators ───────────────────────────────────────────────────────────────────────────────

const hugeString = fc.oneof(
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.constantFrom('x'.repeat(70_000), 'é'.repeat(40_000), '😀'.repeat(20_000)),
)
const weirdString = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), hugeString,
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', '<script>alert(1)</script>', "'; DROP TABLE groups;--", '%00', '\uD800',
    'constructor', '__proto__', 'NaN', 'Infinity', '-0', '1e309', 'null', 'true', 'fz-a', 'gpt-4o-mini', 'a'.repeat(101)),
)
const weirdNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, 0.5))
const leaf = fc.oneof(weirdString, weirdNumber, fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}))
const value: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(weirdString, tie('v'), { maxKeys: 4 })),
})).v

/** The fields the API knows, so generated bodies hit real validation paths, not only "unknown key". */
const FIELDS = [
  'name', 'displayName', 'description', 'type', 'channel', 'upstreams', 'testModel', 'validationPath', 'models', 'priority',
  'modelRedirects', 'modelRedirectStrict', 'paramOverrides', 'headerRules', 'config', 'subGroups', 'enabled', 'sort', 'allowedPaths',
  'keys', 'action', 'status', 'notes', 'groupIds', 'rpm', 'tpm', 'maxConcurrency', 'budgetTokens', 'budgetPeriod', 'expiresAt', 'authKey',
  'order', 'max_retries', 'blacklist_threshold', 'failover_status_codes', 'request_timeout', 'cooldown_seconds', 'app_url', 'proxy_url',
]
const fieldValue = fc.oneof(
  value,
  fc.constantFrom('openai', 'anthropic', 'gemini', 'standard', 'aggregate', 'validate', 'delete', 'restore-invalid', 'active', 'disabled'),
  fc.constant([{ url: 'http://127.0.0.1:1', weight: 1 }]), fc.constant([{ url: 'javascript:alert(1)', weight: -1 }]),
  fc.constant([{ groupId: 999999, weight: 1 }]), fc.constant([{ name: 'Authorization', value: '${API_KEY}', action: 'set' }]),
)
const knownBody = fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 8 })
const body = fc.oneof(
  { weight: 5, arbitrary: knownBody.map(b => JSON.stringify(b)) },
  { weight: 2, arbitrary: value.map(v => JSON.stringify(v) ?? 'undefined') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"name":', '[]', 'null', '{"a":1}{"b":2}', '\uFEFF{}', '{"__proto__":{"isAdmin":true}}') },
)

const badId = fc.oneof(
  fc.constantFrom('0', '-1', '999999', '1.5', 'abc', '%2e%2e', '..', '%00', '1e3', '0x10', '9'.repeat(30), '%F0%9F%98%80', 'NaN', '%20'),
  fc.string({ minLength: 1, maxLength: 20 }).map(x => encodeURIComponent(x)),
)
/** Ids of real rows are used only by methods that do not delete them, so the fixtures survive. */
const idFor = (real: () => number) => (method: string) => method === 'DELETE' ? badId : fc.oneof({ weight: 1, arbitrary: fc.constant(String(real())) }, { weight: 2, arbitrary: badId })

const ROUTES: { path: (m: string) => fc.Arbitrary<string> }[] = [
  ...['/api/groups', '/api/groups/order', '/api/proxy-keys', '/api/settings', '/api/logs', '/api/logs/export', '/api/tasks', '/api/stats/overview',
    '/api/stats/timeseries', '/api/auth/session', '/api/auth/logout', '/api/auth/login', '/api/prices', '/api/usage', '/api/route', '/api/',
    '/api/nope', '/api//groups', '/api/groups/'].map(p => ({ path: () => fc.constant(p) })),
  ...['', '/stats', '/keys', '/keys/actions', '/keys/export', '/copy'].map(suffix => ({
    path: (m: string) => fc.oneof(idFor(() => ids.group)(m), idFor(() => ids.agg)(m)).map(id => `/api/groups/${id}${suffix}`),
  })),
  ...['', '/test'].map(suffix => ({ path: (m: string) => idFor(() => ids.key)(m).map(id => `/api/keys/${id}${suffix}`) })),
  { path: m => idFor(() => ids.proxyKey)(m).map(id => `/api/proxy-keys/${id}`) },
  { path: () => badId.map(id => `/api/logs/${id}`) },
  { path: () => badId.map(id => `/api/tasks/${id}`) },
]
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('page', 'pageSize', 'status', 'q', 'groupId', 'range', 'from', 'to', 'success', 'type', 'model', 'keys'),
    weirdString, { maxKeys: 4 }).map(d => `?${new URLSearchParams(d as Record<string, string>).toString()}`) },
  { weight: 1, arbitrary: fc.constantFrom('?page=-1&pageSize=100000', '?pageSize=abc', '?%zz', '?a=%', '?status[]=x', '?q=%00') },
)
const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND']
const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data; boundary=x',
  'multipart/form-data', 'application/x-www-form-urlencoded', 'application/xml', 'APPLICATION/JSON', 'application/json; charset=utf-16', '',
]
type Auth = 'bearer' | 'none' | 'wrong-bearer' | 'empty-bearer' | 'bogus-cookie' | 'basic'
// A wrong admin key counts against a global guessing limit (100 a minute) that then refuses the
// right key too: few enough of them that the fuzzer's own requests are never locked out.
const auth = fc.oneof(
  { weight: 300, arbitrary: fc.constant<Auth>('bearer') }, { weight: 1, arbitrary: fc.constant<Auth>('wrong-bearer') },
  ...(['none', 'empty-bearer', 'bogus-cookie', 'basic'] as const).map(a => ({ weight: 15, arbitrary: fc.constant<Auth>(a) })),
)

type Case = { method: string; path: string; query: string; contentType: string | null; body: string | null; auth: Auth; ip: string }
const fuzzCase: fc.Arbitrary<Case> = fc.constantFrom(...METHODS).chain(method => fc.record({
  method: fc.constant(method),
  path: fc.constantFrom(...ROUTES).chain(r => r.path(method)),
  query,
  contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 5 }),
  body: method === 'GET' || method === 'HEAD' ? fc.option(body, { freq: 1, nil: null }).map(b => b) : fc.option(body, { freq: 8, nil: null }),
  auth,
  ip: fc.ipV4(),
}))

function toRaw(c: Case): RawRequest {
  const headers: [string, string][] = []
  if (c.auth === 'bearer') headers.push(['authorization', `Bearer ${TEST_AUTH_KEY}`])
  if (c.auth === 'wrong-bearer') headers.push(['authorization', `Bearer ${TEST_AUTH_KEY}x`], ['x-forwarded-for', c.ip])
  if (c.auth === 'empty-bearer') headers.push(['authorization', 'Bearer '])
  if (c.auth === 'bogus-cookie') headers.push(['cookie', 'keygate_session=forged; other=1'])
  if (c.auth === 'basic') headers.push(['authorization', `Basic ${Buffer.from(`admin:${TEST_AUTH_KEY}`).toString('base64')}`])
  if (c.contentType !== null) headers.push(['content-type', c.contentType])
  return { method: c.method, target: c.path + c.query, headers, body: c.body === null ? undefined : Buffer.from(c.body, 'utf8') }
}

const SUCCESS_WRITES = { seen: 0 }

describe('management API fuzzing', () => {
  it(`${RUNS} generated requests: no 5xx, the process stays up, refused requests change nothing`, async () => {
    let before = snapshot()
    let checkedBatches = 0
    let sent = 0
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(fc.array(fuzzCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const answers = await Promise.all(batch.map(c => rawRequest(s.server.port, toRaw(c))))
      sent += batch.length
      let wrote = false
      answers.forEach((a, i) => {
        const c = batch[i]!
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
        expect(a.timedOut, `no answer to ${c.method} ${c.path}`).toBe(false)
        expect(a.status, `${c.method} ${c.path}${c.query} → ${a.status} ${a.body.toString().slice(0, 300)}`).toBeGreaterThanOrEqual(200)
        expect(a.status, `${c.method} ${c.path}${c.query} → ${a.status} ${a.body.toString().slice(0, 300)}`).toBeLessThan(500)
        // An API answers as an API: never the console's HTML page (a route for another method used to fall through to it).
        expect(a.headers['content-type'] ?? '', `${c.method} ${c.path} answered ${a.status} with HTML`).not.toContain('text/html')
        // Without the admin key nothing succeeds (the login form answers 4xx to anything but the key).
        if (c.auth !== 'bearer') expect(a.status, `${c.auth} ${c.method} ${c.path} → ${a.status}`).toBeGreaterThanOrEqual(400)
        if (a.status < 300 && c.method !== 'GET' && c.method !== 'HEAD') wrote = true
      })
      expect(s.server.process.exitCode).toBe(null)
      // Tasks started by an accepted request finish on their own: wait for those before comparing.
      if (wrote) {
        SUCCESS_WRITES.seen++
        await new Promise(r => setTimeout(r, 50))
        before = snapshot()
        return
      }
      const after = snapshot()
      expect(after, `a refused batch changed the database: ${JSON.stringify(batch.map(c => `${c.method} ${c.path}`))}`).toBe(before)
      checkedBatches++
    }), fuzzParams<[Case[]]>(Math.ceil(RUNS / BATCH)))
    expect(sent).toBeGreaterThanOrEqual(RUNS)
    // The database check must have had teeth: most batches were refused outright.
    expect(checkedBatches).toBeGreaterThan(Math.ceil(RUNS / BATCH) / 2)
    const health = await fetch(`${s.server.url}/health`)
    expect(health.status).toBe(200)
    expect(s.server.output()).not.toMatch(/uncaught|unhandled/i)
    console.log(`management fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, `
      + `${checkedBatches} all-refused batches checked against the database, ${SUCCESS_WRITES.seen} with accepted writes`)
  }, 600_000)
})
