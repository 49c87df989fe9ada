import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../../support/server'

describe('admin auth on /api', () => {
  let s: RunningServer
  beforeAll(async () => { s = await startServer() })
  afterAll(async () => { await s?.stop() })

  const call = (path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, init)
  const login = (authKey: unknown) => call('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ authKey }) })
  const PROTECTED = ['/api/groups', '/api/proxy-keys', '/api/settings', '/api/tasks', '/api/logs', '/api/stats/overview', '/api/auth/session', '/api/groups/1/keys/export']

  it('answers 401 without credentials, with a bad cookie, a bad bearer, or the key in ?key=', async () => {
    for (const path of PROTECTED) {
      for (const init of [
        {},
        { headers: { cookie: 'keygate_session=forged-session-token' } },
        { headers: { authorization: 'Bearer wrong-admin-key-0000000' } },
        { headers: { authorization: TEST_AUTH_KEY } },
        { headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_AUTH_KEY}`).toString('base64')}` } },
      ] as RequestInit[]) {
        const r = await call(path, init)
        expect(r.status, `${path} ${JSON.stringify(init)}`).toBe(401)
        expect(await r.json()).toEqual({ statusCode: 401, message: expect.any(String), data: { code: 'UNAUTHORIZED' } })
      }
      expect((await call(`${path}?key=${TEST_AUTH_KEY}`)).status, `${path}?key=`).toBe(401)
    }
    expect((await call('/api/groups', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401)
  })

  it('accepts the bearer admin key', async () => {
    const r = await call('/api/groups', { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })
    expect(r.status).toBe(200)
  })

  it('login sets an HttpOnly SameSite=Strict session cookie that works until logout', async () => {
    const r = await login(TEST_AUTH_KEY)
    expect(r.status).toBe(200)
    const cookie = r.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^keygate_session=[^;]{20,}/)
    expect(cookie).toMatch(/;\s*HttpOnly/i)
    expect(cookie).toMatch(/;\s*SameSite=Strict/i)
    expect(cookie).toMatch(/;\s*Path=\//i)
    expect(cookie).not.toMatch(/;\s*Secure/i) // plain http here
    expect(cookie).not.toContain(TEST_AUTH_KEY)
    const session = cookie.split(';')[0]!
    expect((await call('/api/auth/session', { headers: { cookie: session } })).status).toBe(200)
    expect((await call('/api/groups', { headers: { cookie: session } })).status).toBe(200)
    // The console downloads the key export with the cookie alone.
    const g = await s.api('POST', '/api/groups', { name: 'cookie-export', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] })
    const exported = await call(`/api/groups/${g.body.id}/keys/export`, { headers: { cookie: session } })
    expect(exported.status).toBe(200)
    expect(exported.headers.get('content-type')).toMatch(/^text\/plain/)
    // The console's fetch sends its Origin; a cookie-authorised change without one is refused (security.test.ts).
    expect((await call('/api/auth/logout', { method: 'POST', headers: { cookie: session, origin: s.url } })).status).toBe(200)
    expect((await call('/api/groups', { headers: { cookie: session } })).status).toBe(401)
  })

  it('marks the cookie Secure when served over https behind a trusted proxy', async () => {
    const behind = await startServer({ env: { TRUST_PROXY: 'true' } })
    try {
      const r = await fetch(`${behind.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ authKey: TEST_AUTH_KEY }) })
      expect(r.status).toBe(200)
      expect(r.headers.get('set-cookie')).toMatch(/;\s*Secure/i)
    } finally { await behind.stop() }
  })

  it('refuses a malformed login with 400', async () => {
    const r = await call('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(r.status).toBe(400)
    expect((await r.json()).data).toMatchObject({ code: 'VALIDATION', issues: [{ path: 'authKey', message: expect.any(String) }] })
  })

  it('rate limits failed logins per IP: 10 a minute, then 429 with Retry-After even for the right key, bearer included', async () => {
    // Its own server: the wrong bearer keys above count against this address too.
    const own = await startServer()
    try {
      const ownLogin = (authKey: string) => fetch(`${own.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ authKey }) })
      for (let i = 0; i < 10; i++) expect((await ownLogin(`wrong-${i}-xxxxxxxx`)).status, `attempt ${i + 1}`).toBe(401)
      const limited = await ownLogin(`wrong-again-xxxxxxx`)
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await limited.json()).data.code).toBe('RATE_LIMITED')
      const right = await ownLogin(TEST_AUTH_KEY)
      expect(right.status).toBe(429)
      expect(right.headers.get('set-cookie')).toBeNull()
      // Guessing through the bearer header is the same guessing: one count per address.
      expect((await fetch(`${own.url}/api/groups`, { headers: { authorization: `Bearer ${TEST_AUTH_KEY}` } })).status).toBe(429)
    } finally { await own.stop() }
  })
})
