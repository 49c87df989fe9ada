import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../../support/server'

const ADMIN = { authorization: `Bearer ${TEST_AUTH_KEY}` }
const JSON_TYPE = { 'content-type': 'application/json' }

/** Resident memory of the server process, from /proc (Linux). */
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024

/** GET `url` from a separate Node process: its status and how long the answer took. */
async function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const script = 'const t = performance.now(); fetch(process.argv[1]).then(r => console.log(JSON.stringify({ status: r.status, ms: performance.now() - t })))'
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, url], { timeout: 10_000 })
  return JSON.parse(stdout) as { status: number; ms: number }
}

/** A request body that streams `total` bytes in 64 KB chunks without announcing its length. */
function streamedBody(total: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61)
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) { controller.close(); return }
      controller.enqueue(chunk)
      sent += chunk.length
    },
  })
}

describe('secrets files', () => {
  const dirs: string[] = []
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('an empty DATA_DIR/auth-key stops startup with exit 1 naming it, instead of opening /api to an empty bearer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kg-sec-'))
    dirs.push(dataDir)
    writeFileSync(join(dataDir, 'auth-key'), '')
    const s = await startServer({ dataDir, env: { AUTH_KEY: undefined }, waitFor: 'none' })
    const exited = new Promise<number | null>(res => s.process.once('exit', c => res(c)))
    // Had it started, this is the request that would have been let in.
    const deadline = Date.now() + 15_000
    let opened = false
    while (s.process.exitCode === null && Date.now() < deadline) {
      const r = await fetch(`${s.url}/api/groups`, { headers: { authorization: 'Bearer \u00a0' } }).catch(() => null)
      if (r?.status === 200) opened = true
      await new Promise(res => setTimeout(res, 100))
    }
    expect(opened).toBe(false)
    expect(s.process.exitCode ?? await exited).toBe(1)
    expect(s.output()).toMatch(/keygate: DATA_DIR\/auth-key: is empty/)
    await s.stop()
  })
})

describe('management API hardening', () => {
  let s: RunningServer
  beforeAll(async () => { s = await startServer({ env: { TRUST_PROXY: 'true' } }) })
  afterAll(async () => { await s?.stop() })

  const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers })
  const bearer = (ip: string, key: string) => fetch(`${s.url}/api/groups`, { headers: from(ip, { authorization: `Bearer ${key}` }) })
  const loginBody = (authKey: string) => JSON.stringify({ authKey })

  it('never authenticates an empty bearer, Unicode spaces included', async () => {
    // Header values are Latin-1 on the wire; other Unicode spaces are covered by the unit tests.
    for (const token of ['\u00a0', ' \u00a0\t\u00a0', ''])
      expect((await bearer('192.0.2.1', token)).status, JSON.stringify(token)).toBe(401)
  })

  it('caps JSON bodies at 1 MB, by Content-Length and while streaming, with the contract\'s 413', async () => {
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(1024 * 1024 + 10) })
    const declared = await fetch(`${s.url}/api/groups`, { method: 'POST', headers: { ...ADMIN, ...JSON_TYPE }, body: big })
    expect(declared.status).toBe(413)
    expect(await declared.json()).toEqual({ statusCode: 413, message: expect.stringMatching(/larger than 1 MB/), data: { code: 'TOO_LARGE' } })
    const streamed = await fetch(`${s.url}/api/groups`, { method: 'POST', headers: { ...ADMIN, ...JSON_TYPE }, body: streamedBody(3 * 1024 * 1024), duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).data.code).toBe('TOO_LARGE')
    // Under the cap all is as before.
    expect((await s.api('POST', '/api/groups', { name: 'small', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] })).status).toBe(201)
  })

  it('answers a 10 MB login with 413 at once, holds no such bodies in memory, and /health keeps answering', async () => {
    const pid = s.process.pid!
    const before = rssBytes(pid)
    const started = Date.now()
    const tenMb = 'x'.repeat(10 * 1024 * 1024)
    const one = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: JSON_TYPE, body: tenMb })
    expect(one.status).toBe(413)
    expect((await one.json()).data.code).toBe('TOO_LARGE')
    expect(Date.now() - started).toBeLessThan(3_000)

    // A flood: 10 announced 10 MB bodies and 10 that stream 10 MB without a length.
    const flood = [
      ...Array.from({ length: 10 }, () => fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: JSON_TYPE, body: tenMb })),
      ...Array.from({ length: 10 }, () => fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: JSON_TYPE, body: streamedBody(10 * 1024 * 1024), duplex: 'half' } as RequestInit)),
    ].map(p => p.then(r => r.status, () => 'reset'))
    // Timed from another process: this one is busy sending the flood.
    const health = await timedGet(`${s.url}/health`)
    expect(health.status).toBe(200)
    expect(health.ms).toBeLessThan(1_000)
    const statuses = await Promise.all(flood)
    // A client still sending when the server answers and closes may see the reset instead.
    expect(statuses.filter(x => x !== 413 && x !== 'reset'), String(statuses)).toEqual([])
    expect(statuses.filter(x => x === 413).length).toBeGreaterThan(10)
    // 200 MB went in; far less than that may stay resident.
    expect(rssBytes(pid) - before).toBeLessThan(60 * 1024 * 1024)
    expect((await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: JSON_TYPE, body: loginBody(TEST_AUTH_KEY) })).status).toBe(200)
  })

  it('refuses the 11th wrong bearer key from one address in a minute with 429, the right key too, but not from elsewhere', async () => {
    for (let i = 0; i < 10; i++) expect((await bearer('203.0.113.7', `wrong-key-${i}-xxxxxxxx`)).status, `guess ${i + 1}`).toBe(401)
    const limited = await bearer('203.0.113.7', 'wrong-key-10-xxxxxxxx')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await limited.json()).toEqual({ statusCode: 429, message: expect.any(String), data: { code: 'RATE_LIMITED' } })
    expect((await bearer('203.0.113.7', TEST_AUTH_KEY)).status).toBe(429)
    // A forged entry to the left changes nothing: the rightmost one is the address.
    expect((await bearer('198.51.100.1, 203.0.113.7', TEST_AUTH_KEY)).status).toBe(429)
    // The login form shares the count.
    expect((await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: from('203.0.113.7', JSON_TYPE), body: loginBody(TEST_AUTH_KEY) })).status).toBe(429)
    expect((await bearer('198.51.100.9', TEST_AUTH_KEY)).status).toBe(200)
    expect((await bearer('203.0.113.7, 198.51.100.9', TEST_AUTH_KEY)).status).toBe(200)
  })

  it('counts concurrent wrong guesses before answering: no more than 10 get an answer', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => bearer('203.0.113.20', `wrong-concurrent-${i}-xxxx`).then(r => r.status)))
    expect(statuses.filter(x => x === 401)).toHaveLength(10)
    expect(statuses.filter(x => x === 429)).toHaveLength(30)
    // A script's parallel calls with the right key never trip it.
    const right = await Promise.all(Array.from({ length: 30 }, () => bearer('203.0.113.21', TEST_AUTH_KEY).then(r => r.status)))
    expect(new Set(right)).toEqual(new Set([200]))
  })

  it('buckets IPv6 callers by /64', async () => {
    for (let i = 0; i < 10; i++) expect((await bearer(`2001:db8:7:7::${i + 1}`, `wrong-v6-${i}-xxxxxxxx`)).status).toBe(401)
    expect((await bearer('2001:db8:7:7:ffff::1', TEST_AUTH_KEY)).status).toBe(429)
    expect((await bearer('2001:db8:7:8::1', TEST_AUTH_KEY)).status).toBe(200)
  })

  describe('cookie-authorised calls', () => {
    let cookie: string
    beforeAll(async () => {
      const r = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: from('192.0.2.50', JSON_TYPE), body: loginBody(TEST_AUTH_KEY) })
      cookie = r.headers.get('set-cookie')!.split(';')[0]!
    })
    const create = (name: string, headers: Record<string, string>, body?: string) =>
      fetch(`${s.url}/api/groups`, { method: 'POST', headers: { cookie, ...headers }, body: body ?? JSON.stringify({ name, channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] }) })

    it('refuses a change from a foreign origin or a sibling site with 403, and one that says nothing', async () => {
      for (const headers of [
        { origin: 'http://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'same-site', 'origin': `http://evil.127.0.0.1:${s.port}` },
        { 'sec-fetch-site': 'cross-site' },
        {},
      ] as Record<string, string>[]) {
        const r = await create('csrf', { ...JSON_TYPE, ...headers })
        expect(r.status, JSON.stringify(headers)).toBe(403)
        expect(await r.json()).toEqual({ statusCode: 403, message: expect.any(String), data: { code: 'FORBIDDEN' } })
      }
      expect((await fetch(`${s.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403)
      expect((await fetch(`${s.url}/api/groups`, { headers: { cookie, origin: 'http://evil.example' } })).status).toBe(200)
    })

    it('accepts the console\'s own origin (and the proxy\'s public host with TRUST_PROXY)', async () => {
      expect((await create('own-origin', { ...JSON_TYPE, origin: s.url })).status).toBe(201)
      expect((await create('own-fetch-site', { ...JSON_TYPE, 'sec-fetch-site': 'same-origin' })).status).toBe(201)
      expect((await create('behind-proxy', { ...JSON_TYPE, 'origin': 'https://keygate.example.com', 'x-forwarded-host': 'keygate.example.com', 'x-forwarded-proto': 'https' })).status).toBe(201)
    })

    it('refuses form and text/plain bodies on JSON routes with 415', async () => {
      const form = await create('form', { 'origin': s.url, 'content-type': 'application/x-www-form-urlencoded' }, 'name=form&channel=openai')
      expect(form.status).toBe(415)
      expect((await form.json()).data.code).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect((await create('plain', { 'origin': s.url, 'content-type': 'text/plain' })).status).toBe(415)
      expect((await create('multipart', { 'origin': s.url, 'content-type': 'multipart/form-data; boundary=x' }, '--x--')).status).toBe(415)
      expect((await create('untyped', { origin: s.url }, '{}')).status).toBe(415)
      expect((await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: from('192.0.2.51', { 'content-type': 'application/x-www-form-urlencoded' }), body: 'authKey=x' })).status).toBe(415)
    })
  })

  it('leaves bearer-authorised scripts alone: no origin check, and text/plain key imports still work', async () => {
    const g = await fetch(`${s.url}/api/groups`, {
      method: 'POST', headers: { ...ADMIN, ...JSON_TYPE, origin: 'http://elsewhere.example' },
      body: JSON.stringify({ name: 'script', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }] }),
    })
    expect(g.status).toBe(201)
    const id = (await g.json()).id
    const plain = await fetch(`${s.url}/api/groups/${id}/keys`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'text/plain; charset=utf-8' }, body: 'sk-script-aaaaaaaaaaaaaaaa1\nsk-script-aaaaaaaaaaaaaaaa2\n' })
    expect(plain.status).toBe(202)
    expect((await fetch(`${s.url}/api/groups/${id}`, { method: 'DELETE', headers: ADMIN })).status).toBe(200)
  })

  // Last: it spends the budget every caller shares.
  it('past 100 wrong keys a minute in all, refuses every guess, the right key from a fresh address too', async () => {
    for (let c = 0; c < 12; c++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => bearer(`198.18.0.${c + 1}`, `wrong-global-${c}-${i}-xxxx`)))
    }
    const r = await bearer('198.18.1.1', TEST_AUTH_KEY)
    expect(r.status).toBe(429)
    expect((await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: from('198.18.1.2', JSON_TYPE), body: loginBody(TEST_AUTH_KEY) })).status).toBe(429)
  })
})
