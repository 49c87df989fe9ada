import OpenAI from 'openai'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../support/proxySeed'
import { freePort } from '../support/server'

/**
 * Fault matrix, upstream rows (tests/faults/README.md). Each row's preferred group (priority 0)
 * points at a misbehaving upstream; a backup group (priority 10) serves the same models. While the
 * fault lasts, plain and streamed requests go through the OpenAI SDK. Expected, for every row:
 * - a request fails only if no healthy key could serve it: with the backup there, every request
 *   that has not yet received a byte is served (failover across groups within the request);
 * - no stream hangs: each ends with data or an error event within the configured timeout;
 * - no key is blamed for a fault that is not the key's (5xx, network, timeouts, garbage);
 * - /ready stays 200 "ready" (an upstream fault is not this instance's);
 * - once the fault ends, the preferred group serves again, without a restart.
 */
const key = (row: string, i = 0) => `sk-fault-${row}-${i}-upstream-0123456789`
const BACKUP = key('backup')
let mock: MockUpstream
let s: Seeded
const closers: (() => Promise<void>)[] = []
const sockets = new Set<Socket>()
let refusedPort = 0
let garbage: NetServer
let bigHeaders: NetServer
let stallAfterHeaders: Server
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function netServer(onSocket: (s: Socket) => void): Promise<NetServer> {
  const srv = createNetServer((sock) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); sock.on('error', () => {}); onSocket(sock) })
  return new Promise(r => srv.listen(0, '127.0.0.1', () => r(srv)))
}
const urlOf = (srv: NetServer | Server) => `http://127.0.0.1:${(srv.address() as { port: number }).port}`

beforeAll(async () => {
  mock = await startMockUpstream()
  refusedPort = await freePort()
  // Answers every request with bytes that are not HTTP.
  garbage = await netServer(sock => sock.once('data', () => sock.end('\x16\x03\x01\x02\x00garbage, not HTTP\r\n\r\n')))
  // A 10 MB header block (undici's limit is far lower: the answer is refused, not buffered).
  bigHeaders = await netServer(sock => sock.once('data', () => {
    sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n')
    const line = `x-big: ${'b'.repeat(64 * 1024)}\r\n`
    let sent = 0
    const pump = () => { while (sent < 10 * 1024 * 1024 && !sock.destroyed) { sent += line.length; if (!sock.write(line)) { sock.once('drain', pump); return } } sock.end('\r\n{}') }
    pump()
  }))
  // Headers at once, then silence.
  stallAfterHeaders = createHttpServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/event-stream' }); res.flushHeaders() })
  stallAfterHeaders.on('connection', (sock) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)) })
  await new Promise<void>(r => stallAfterHeaders.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise(r => garbage.close(() => r())), () => new Promise(r => bigHeaders.close(() => r())),
    () => new Promise(r => stallAfterHeaders.close(() => r())))

  const up = (url: string) => [{ url, weight: 1 }]
  const fast = { request_timeout: 3, response_header_timeout: 2, connect_timeout: 2, max_retries: 1 }
  s = await startSeeded([
    { name: 'refused', channel: 'openai', upstreams: up(`http://127.0.0.1:${refusedPort}`), models: ['row-refused'], keys: [key('refused')], config: fast },
    { name: 'reset', channel: 'openai', upstreams: up(mock.url), models: ['row-reset'], keys: [key('reset')], config: fast },
    { name: 'garbage', channel: 'openai', upstreams: up(urlOf(garbage)), models: ['row-garbage'], keys: [key('garbage')], config: fast },
    { name: 'noheaders', channel: 'openai', upstreams: up(mock.url), models: ['row-noheaders'], keys: [key('noheaders')], config: fast },
    { name: 'stall', channel: 'openai', upstreams: up(urlOf(stallAfterHeaders)), models: ['row-stall'], keys: [key('stall')], config: fast },
    { name: 'bighead', channel: 'openai', upstreams: up(urlOf(bigHeaders)), models: ['row-bighead'], keys: [key('bighead')], config: fast },
    { name: 'storm', channel: 'openai', upstreams: up(mock.url), models: ['row-storm'], keys: [0, 1, 2].map(i => key('storm', i)), config: { max_retries: 3 } },
    { name: 'dns', channel: 'openai', upstreams: [{ url: 'http://no-such-upstream.invalid', weight: 1 }, { url: mock.url, weight: 1 }], models: ['row-dns'],
      keys: [key('dns')], config: { ...fast, max_retries: 2 } },
    { name: 'backup', channel: 'openai', upstreams: up(mock.url), models: ['row-*'], priority: 10, keys: [BACKUP] },
  ], [{ name: 'faults' }])
}, 60_000)
afterAll(async () => {
  await s?.server.stop()
  for (const sock of sockets) sock.destroy()
  for (const c of closers) await c()
  await mock?.close()
})

const client = () => new OpenAI({ apiKey: s.proxyKeys[0]!, baseURL: `${s.server.url}/v1`, maxRetries: 0, timeout: 20_000 })
type Outcome = { ok: boolean; text: string; error: string | null; ms: number }

/** Steady traffic while the fault lasts: `n` plain and `n` streamed requests, all at once. */
async function traffic(model: string, n = 3): Promise<{ plain: Outcome[]; streamed: Outcome[] }> {
  const plain = Array.from({ length: n }, async (): Promise<Outcome> => {
    const t = Date.now()
    try {
      const r = await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
      return { ok: true, text: r.choices[0]!.message.content ?? '', error: null, ms: Date.now() - t }
    } catch (e) { return { ok: false, text: '', error: String((e as Error).message), ms: Date.now() - t } }
  })
  const streamed = Array.from({ length: n }, async (): Promise<Outcome> => {
    const t = Date.now()
    let text = ''
    try {
      for await (const c of await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true })) text += c.choices[0]?.delta.content ?? ''
      return { ok: true, text, error: null, ms: Date.now() - t }
    } catch (e) { return { ok: false, text, error: String((e as Error).message), ms: Date.now() - t } }
  })
  return { plain: await Promise.all(plain), streamed: await Promise.all(streamed) }
}

const allServed = (o: Outcome[], model: string) => { for (const x of o) expect(x, JSON.stringify(x)).toMatchObject({ ok: true, text: expect.stringContaining(`Hello from ${model}`) }) }

async function expectNotBlamed(group: string) {
  await sleep(700) // key states reach the database in 500 ms batches
  for (const k of await keyRows(s.server, s.groupIds[group]!)) expect({ status: k.status, consecutiveFailures: k.consecutiveFailures }).toEqual({ status: 'active', consecutiveFailures: 0 })
}

async function expectReady() {
  const r = await fetch(`${s.server.url}/ready`)
  expect(r.status).toBe(200)
  expect(await r.json()).toMatchObject({ status: 'ready' })
}

/** The backup served the fault, then the preferred group serves again once it is over. */
async function expectPreferredServesAgain(model: string, preferredKey: string) {
  mock.reset()
  const r = await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
  expect(r.choices[0]!.message.content).toContain(`Hello from ${model}`)
  expect(mock.keysUsed()).toEqual([preferredKey])
}

describe('fault matrix: upstream', () => {
  it('connection refused: the backup serves everything; recovers when the upstream listens again', async () => {
    const t = await traffic('row-refused')
    allServed([...t.plain, ...t.streamed], 'row-refused')
    await expectNotBlamed('refused')
    await expectReady()
    // The fault ends: an upstream starts listening on that port.
    const back = createHttpServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'row-refused', choices: [{ index: 0, message: { role: 'assistant', content: 'back again' }, finish_reason: 'stop' }] })) })
    await new Promise<void>(r => back.listen(refusedPort, '127.0.0.1', r))
    try {
      const r = await client().chat.completions.create({ model: 'row-refused', messages: [{ role: 'user', content: 'hi' }] })
      expect(r.choices[0]!.message.content).toBe('back again')
    } finally { await new Promise(r => back.close(r)) }
  })

  it('reset mid-body: a stream already started ends with an error, never hangs; plain requests fail over; the key is not blamed', async () => {
    mock.onKey(key('reset'), { cutAfter: 1, intervalMs: 20 })
    const t = await traffic('row-reset')
    // A plain answer is read whole before anything reaches the client: cut, it fails over.
    // A stream's first chunk has gone to the client: it cannot move, and ends with an error.
    for (const x of [...t.plain, ...t.streamed]) {
      expect(x.ms).toBeLessThan(10_000)
      if (!x.ok) expect(x.error).toMatch(/upstream|terminated|stream/i)
    }
    expect(t.streamed.some(x => !x.ok)).toBe(true)
    await expectNotBlamed('reset')
    await expectReady()
    await expectPreferredServesAgain('row-reset', key('reset'))
  })

  it('TLS or HTTP garbage: the backup serves everything; the key is not blamed', async () => {
    const t = await traffic('row-garbage')
    allServed([...t.plain, ...t.streamed], 'row-garbage')
    await expectNotBlamed('garbage')
    await expectReady()
  })

  it('headers that never come: response_header_timeout hands over to the backup; recovers when answers come back', async () => {
    mock.onKey(key('noheaders'), { stall: true })
    const t = await traffic('row-noheaders')
    allServed([...t.plain, ...t.streamed], 'row-noheaders')
    for (const x of [...t.plain, ...t.streamed]) expect(x.ms).toBeLessThan(15_000)
    await expectNotBlamed('noheaders')
    await expectReady()
    await expectPreferredServesAgain('row-noheaders', key('noheaders'))
  })

  it('a stream that stalls after headers ends with an error event within request_timeout', async () => {
    const t = await traffic('row-stall', 2)
    for (const x of t.streamed) {
      expect(x.ok, 'a stalled stream must not end as a success').toBe(false)
      expect(x.ms).toBeLessThan(10_000)
    }
    // A plain answer whose body stalls: cut at request_timeout and handed over, or a clean error.
    for (const x of t.plain) expect(x.ms).toBeLessThan(15_000)
    await expectNotBlamed('stall')
    await expectReady()
  })

  it('a 10 MB header block is refused, not buffered: the backup serves; the key is not blamed', async () => {
    const t = await traffic('row-bighead')
    allServed([...t.plain, ...t.streamed], 'row-bighead')
    await expectNotBlamed('bighead')
    await expectReady()
  })

  it.each([
    [500, false], [503, false], [429, false], [403, false], [401, true],
  ])('a %i storm on every key at once: the backup serves everything; blamed only when the key is at fault (%s)', async (status, blames) => {
    mock.reset()
    const headers = status === 429 ? { 'retry-after': '1' } : undefined
    for (let i = 0; i < 3; i++) mock.onKey(key('storm', i), { status, headers })
    const t = await traffic('row-storm')
    allServed([...t.plain, ...t.streamed], 'row-storm')
    await sleep(700)
    const rows = await keyRows(s.server, s.groupIds.storm!)
    if (blames) expect(rows.some(k => k.consecutiveFailures > 0 || k.status === 'invalid')).toBe(true)
    else expect(rows.every(k => k.status !== 'invalid' && k.consecutiveFailures === 0), JSON.stringify(rows)).toBe(true)
    await expectReady()
    // The storm ends: after the cooldown the storm group's keys serve again (401-blamed keys are
    // restored by validation or an admin, as the contract says).
    mock.reset()
    if (blames) {
      await s.server.api('POST', `/api/groups/${s.groupIds.storm}/keys/actions`, { action: 'restore-invalid' })
      for (const k of rows) if (k.status !== 'invalid') await s.server.api('PATCH', `/api/keys/${k.id}`, { status: 'active' })
    }
    await sleep(status === 429 ? 1500 : 300)
    const r = await client().chat.completions.create({ model: 'row-storm', messages: [{ role: 'user', content: 'hi' }] })
    expect(r.choices[0]!.message.content).toContain('Hello from row-storm')
    // Served by the storm group again when its keys are usable (the backup only while they are not).
    if (!blames) expect(mock.keysUsed().at(-1)).toMatch(/^sk-fault-storm-/)
  })

  it('DNS failure of one upstream of a weighted group: the other upstream serves; the key is not blamed', async () => {
    mock.reset()
    const t = await traffic('row-dns', 4)
    allServed([...t.plain, ...t.streamed], 'row-dns')
    // The group's own healthy upstream served (same key), not only the backup.
    expect(mock.keysUsed().filter(k => k === key('dns')).length).toBeGreaterThan(0)
    await expectNotBlamed('dns')
    await expectReady()
  })
})
