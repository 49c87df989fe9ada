import { readFileSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'
import { rawRequest } from '../../support/rawHttp'

/**
 * What a client with a valid proxy key might try against the gateway: hiding the model from the
 * key's allow-list, a model name built to make pattern matching slow, and holding slots and
 * memory with slow or large bodies.
 */

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

type RawAnswer = { status: number; headers: IncomingHttpHeaders; body: string; closed: Promise<void> }

/**
 * One POST on its own connection. `head` is written at once; the rest of the body (if any) only
 * when no answer came within `holdMs`: a client that is refused up front stops sending, as curl does.
 */
function rawPost(
  url: string, path: string, headers: Record<string, string | number>, head: Buffer, rest?: Buffer, holdMs = 300,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      answered = true
      const closed = new Promise<void>(r => (res.socket.destroyed ? r() : res.socket.once('close', () => r())))
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), closed }))
    })
    req.on('error', (err) => { if (!answered) reject(err) })
    req.write(head)
    if (rest) setTimeout(() => { if (!answered) req.end(rest) }, holdMs)
  })
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now()
  const value = await fn()
  return { value, ms: performance.now() - t }
}

describe('model limits cannot be sidestepped', () => {
  let mock: MockUpstream
  let s: Seeded
  let limited: string, globbed: string, open: string

  beforeAll(async () => {
    mock = await startMockUpstream()
    const up = [{ url: mock.url, weight: 1 }]
    s = await startSeeded([
      { name: 'oa', channel: 'openai', upstreams: up, models: ['*'], keys: ['sk-abuse-upstream-0000000001'] },
      { name: 'claude', channel: 'anthropic', upstreams: up, models: ['claude-3-5-haiku-latest'], keys: ['sk-ant-abuse-upstream-00000001'] },
      { name: 'gem', channel: 'gemini', upstreams: up, models: ['*'], keys: ['AIza-abuse-upstream-000000001'] },
      { name: 'strict', channel: 'openai', upstreams: up, models: [], modelRedirects: { alias: 'gpt-4o-mini' }, modelRedirectStrict: true, keys: ['sk-abuse-upstream-0000000002'] },
      { name: 'redir', channel: 'openai', upstreams: up, models: ['*'], modelRedirects: { alias: 'gpt-4o-mini' }, keys: ['sk-abuse-upstream-0000000003'] },
    ], [{ models: ['gpt-4o-mini'] }, { models: ['*gpt*mini*'] }, {}])
    ;[limited, globbed, open] = s.proxyKeys as [string, string, string]
  })
  afterAll(async () => { await s?.server.stop(); await mock?.close() })

  const chat = (key: string, body: BodyInit, headers: Record<string, string> = {}, path = '/v1/chat/completions') =>
    fetch(`${s.server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body })

  it('reads the model behind leading whitespace, text/plain or no content type, and refuses what the key does not allow', async () => {
    const tricks: [string, (model: string) => Promise<Response>][] = [
      ['leading whitespace', m => chat(limited, ` \n\t{"model":"${m}","messages":[]}`, { 'content-type': 'application/json' })],
      ['text/plain', m => chat(limited, `{"model":"${m}","messages":[]}`, { 'content-type': 'text/plain' })],
      ['no content type', m => chat(limited, new TextEncoder().encode(`{"model":"${m}","messages":[]}`))],
      ['a BOM', m => chat(limited, new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(`{"model":"${m}","messages":[]}`)]))],
    ]
    for (const [name, send] of tricks) {
      const before = mock.requests.length
      const refused = await send('gpt-4o')
      expect(refused.status, name).toBe(403)
      expect(await refused.json(), name).toMatchObject({ error: { type: 'permission_error', code: 'model_not_allowed' } })
      expect(mock.requests.length, `${name}: the upstream saw nothing`).toBe(before)
      const allowed = await send('gpt-4o-mini')
      expect(allowed.status, name).toBe(200)
      expect(mock.requests.at(-1)!.json.model, name).toBe('gpt-4o-mini')
    }
  })

  it('forwards exactly the checked model when the body names it twice', async () => {
    const r = await chat(limited, '{"model":"gpt-4o","messages":[],"model":"gpt-4o-mini"}', { 'content-type': 'application/json' })
    expect(r.status).toBe(200)
    const sent = mock.requests.at(-1)!.body.toString()
    expect(sent.match(/"model"/g)).toHaveLength(1)
    expect(JSON.parse(sent).model).toBe('gpt-4o-mini')
  })

  it('refuses a body that is not JSON on a JSON endpoint with 400 in the caller\'s shape', async () => {
    const before = mock.requests.length
    const openai = await chat(open, 'model=gpt-4o&messages=[]', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(openai.status).toBe(400)
    expect(await openai.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } })
    const gemini = await fetch(`${s.server.url}/v1beta/models/gemini-2.0-flash:generateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': open, 'content-type': 'application/json' }, body: '{"contents": [',
    })
    expect(gemini.status).toBe(400)
    expect(await gemini.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } })
    expect(mock.requests.length).toBe(before)
  })

  it('refuses a request that names no model when the key, the groups or a strict redirect limit models', async () => {
    const before = mock.requests.length
    const byKey = await chat(limited, '{"messages":[]}', { 'content-type': 'application/json' })
    expect(byKey.status).toBe(403)
    expect((await byKey.json()).error.message).toMatch(/names no model/)
    const nonString = await chat(limited, '{"model":["gpt-4o"],"messages":[]}', { 'content-type': 'application/json' })
    expect(nonString.status).toBe(403)
    // The only Anthropic group lists its models: leaving the model out must not reach it.
    const byGroup = await fetch(`${s.server.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': open, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: '{"max_tokens":1,"messages":[]}',
    })
    expect(byGroup.status).toBe(403)
    expect(await byGroup.json()).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringMatching(/names no model/) } })
    const byRedirect = await chat(open, '{"messages":[]}', { 'content-type': 'application/json' }, '/proxy/strict/v1/chat/completions')
    expect(byRedirect.status).toBe(403)
    expect((await byRedirect.json()).error.message).toMatch(/names no model/)
    expect(mock.requests.length).toBe(before)
    // Without limits a model-less request still goes through.
    expect((await chat(open, '{"messages":[]}', { 'content-type': 'application/json' })).status).toBe(200)
  })

  it('a model named like an object\'s built-in members is no redirect: relayed as named, or refused by a strict group', async () => {
    for (const model of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] })
      const before = mock.requests.length
      const relayed = await chat(open, body, { 'content-type': 'application/json' }, '/proxy/redir/v1/chat/completions')
      expect(relayed.status).toBe(200)
      expect(mock.requests.slice(before).map(r => JSON.parse(r.body.toString()).model)).toEqual([model])
      const strict = await chat(open, body, { 'content-type': 'application/json' }, '/proxy/strict/v1/chat/completions')
      expect(strict.status).toBe(400)
      expect((await strict.json()).error.message).toContain(`model "${model}" is not available`)
    }
    expect(s.server.output()).not.toMatch(/toLowerCase|proxy request failed/)
  })

  it('refuses a 300 KB model with 400 at once, and /health stays responsive', async () => {
    const model = `${'gpt'.repeat(100_000)}-min`
    const big = timed(() => chat(globbed, JSON.stringify({ model, messages: [] }), { 'content-type': 'application/json' }))
    const health = await timed(() => fetch(`${s.server.url}/health`))
    const { value: r, ms } = await big
    expect(r.status).toBe(400)
    expect(await r.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_model' } })
    expect(health.value.status).toBe(200)
    // Sanity bounds only: the backtracking matcher this replaces froze the server for minutes.
    expect(ms).toBeLessThan(2000)
    expect(health.ms).toBeLessThan(2000)
    // A long name that fits the pattern's pieces still matches normally once short enough.
    expect((await chat(globbed, '{"model":"openai/gpt-4o-mini","messages":[]}', { 'content-type': 'application/json' })).status).toBe(200)
  })
})

describe('slow and large bodies cannot starve the gateway', () => {
  let mock: MockUpstream
  let s: Seeded

  beforeAll(async () => {
    mock = await startMockUpstream()
    s = await startSeeded([
      { name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['*'], keys: ['sk-starve-upstream-0000000001'] },
    ], [{}, {}], { env: { REQUEST_BODY_TIMEOUT: '1', MAX_CONCURRENT_REQUESTS: '4' } })
  })
  afterAll(async () => { await s?.server.stop(); await mock?.close() })

  it('answers 408 to a body sent slower than REQUEST_BODY_TIMEOUT and closes the connection', async () => {
    const started = Date.now()
    const headers = { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json', 'content-length': 200 }
    // Only the first bytes ever come.
    const r = await rawPost(s.server.url, '/v1/chat/completions', headers, Buffer.from('{"model":'))
    expect(r.status).toBe(408)
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'request_timeout' } })
    expect(Date.now() - started).toBeLessThan(5000)
    await Promise.race([r.closed, sleep(3000).then(() => { throw new Error('the connection was left open') })])
    expect(mock.requests).toHaveLength(0)
  })

  it('lets a proxy key without maxConcurrency hold only its share of the slots; another key still gets through', async () => {
    mock.setDefault({ delayMs: 800 })
    const ask = (key: string) => fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}',
    })
    const [a, b] = s.proxyKeys as [string, string]
    const held = [ask(a), ask(a)]
    await mock.waitFor(() => mock.requests.length === 2)
    const excess = await ask(a)
    expect(excess.status).toBe(429)
    expect(Number(excess.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await excess.json()).toMatchObject({ error: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' } })
    expect((await ask(b)).status).toBe(200)
    expect((await Promise.all(held)).map(r => r.status)).toEqual([200, 200])
    mock.setDefault({})
  })
})

describe('buffered request bodies are capped across requests', () => {
  let mock: MockUpstream
  let s: Seeded

  beforeAll(async () => {
    mock = await startMockUpstream()
    s = await startSeeded([
      { name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['*'], keys: ['sk-flood-upstream-0000000001'] },
    ], [{}], { env: { MAX_REQUEST_BODY_MB: '8', MAX_BUFFERED_BODY_MB: '64' } })
  })
  afterAll(async () => { await s?.server.stop(); await mock?.close() })

  const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.server.process.pid}/status`, 'utf8'))![1]) / 1024

  it('answers 503 with Retry-After past MAX_BUFFERED_BODY_MB, keeps memory bounded and /health quick', async () => {
    mock.setDefault({ delayMs: 1500 })
    // 6 MB of valid JSON (mostly whitespace, so parsing is cheap and the bytes are what counts).
    const head = Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]')
    const body = Buffer.concat([head, Buffer.alloc(6 * 1024 * 1024 - head.length - 1, ' '), Buffer.from('}')])
    const headers = { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json', 'content-length': body.length }
    const before = rssMb()
    let peak = before
    const healthMs: number[] = []
    let flooding = true
    const watch = (async () => {
      while (flooding) {
        peak = Math.max(peak, rssMb())
        healthMs.push((await timed(() => fetch(`${s.server.url}/health`).then(r => r.text()))).ms)
        await sleep(50)
      }
    })()
    const flood = Array.from({ length: 40 }, () => rawPost(s.server.url, '/v1/chat/completions', headers, body.subarray(0, 65536), body.subarray(65536)))
    const answers = await Promise.all(flood)
    flooding = false
    await watch
    mock.setDefault({})

    const statuses = answers.map(a => a.status)
    const ok = statuses.filter(x => x === 200).length
    const busy = answers.filter(a => a.status === 503)
    expect(statuses.every(x => x === 200 || x === 503)).toBe(true)
    // 64 MB holds ten 6 MB bodies at a time: most of the 40 are turned away up front.
    expect(ok).toBeGreaterThanOrEqual(1)
    expect(ok).toBeLessThanOrEqual(10)
    expect(busy.length).toBeGreaterThanOrEqual(30)
    expect(Number(busy[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(JSON.parse(busy[0]!.body)).toMatchObject({ error: { type: 'server_error', code: 'server_busy' } })
    // 40 bodies of 6 MB would be 240 MB held at once (and more while they are joined); the
    // budget keeps the growth near 64 MB. A generous bound: the V8 heap and undici's buffers add some.
    expect(peak - before).toBeLessThan(200)
    // /health must answer within 100 ms during the flood (the requirement). The probe runs in
    // this process, next to the flood's client and the mock upstream, on a machine other suites
    // may load too: the median is held to 100 ms, and no answer may take seconds (a stalled event loop).
    const sorted = [...healthMs].sort((x, y) => x - y)
    expect(sorted.length).toBeGreaterThan(0)
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThan(100)
    expect(sorted.at(-1)!).toBeLessThan(2000)
    // Released when the requests ended: the same bodies are accepted again.
    mock.reset()
    const again = await rawPost(s.server.url, '/v1/chat/completions', headers, body.subarray(0, 65536), body.subarray(65536), 0)
    expect(again.status).toBe(200)
  })
})

describe('requests the HTTP parser refuses still get their answer', () => {
  let mock: MockUpstream
  let s: Seeded

  beforeAll(async () => {
    mock = await startMockUpstream()
    s = await startSeeded([{ name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['*'], keys: ['sk-abuse-upstream-0000000009'] }], [{}])
  })
  afterAll(async () => {
    await s?.server.stop()
    await mock?.close()
  })

  it('answers 431 to a header block past 16 KiB while the body is still arriving, every time', async () => {
    // The client writes headers and a 600 KB body in one go and reads only then: the answer must
    // not be destroyed by a connection reset over the unread body.
    const body = Buffer.alloc(600_000, 'y')
    const answers = []
    for (let i = 0; i < 20; i++) {
      answers.push(await rawRequest(s.server.port, { method: 'POST', target: '/v1/chat/completions', headers: [['x-huge', 'H'.repeat(70_000)]], body }))
    }
    expect(answers.map(a => a.status)).toEqual(Array(20).fill(431))
    expect(answers.every(a => a.headers.connection === 'close')).toBe(true)
  })

  it('answers 400 to a malformed request line with a body behind it', async () => {
    const body = Buffer.alloc(600_000, 'y')
    const answers = []
    for (let i = 0; i < 10; i++) answers.push(await rawRequest(s.server.port, { method: 'POST', target: '/v1/chat/completions HTTP/9 x', headers: [], body }))
    expect(answers.map(a => a.status)).toEqual(Array(10).fill(400))
  })

  it('closes the connection of a refused client that never stops sending within seconds', async () => {
    // allowHalfOpen: the client keeps sending after the server's FIN instead of closing its side.
    const sock = connect({ host: '127.0.0.1', port: s.server.port, allowHalfOpen: true })
    let answer = ''
    sock.on('data', (d: Buffer) => { answer += d.toString('latin1') })
    sock.on('error', () => {})
    await new Promise(r => sock.once('connect', r))
    sock.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100000000\r\nx-huge: ${'H'.repeat(70_000)}\r\n\r\n`)
    const started = Date.now()
    const feeding = setInterval(() => { if (sock.writable) sock.write(Buffer.alloc(1024, 'z')) }, 20)
    await new Promise(r => sock.once('close', r))
    clearInterval(feeding)
    const heldMs = Date.now() - started
    expect(answer).toMatch(/^HTTP\/1\.1 431 /)
    // Held for the server's 5 s drain allowance (the answer is not reset away), then dropped, not
    // kept open for as long as the client sends.
    expect(heldMs).toBeGreaterThan(4_000)
    expect(heldMs).toBeLessThan(15_000)
    expect((await fetch(`${s.server.url}/health`)).status).toBe(200)
  }, 30_000)
})
