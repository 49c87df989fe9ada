import OpenAI from 'openai'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../support/proxySeed'

/**
 * Fault matrix, client rows (tests/faults/README.md). Expected, for every row: the upstream
 * request of a client that leaves is aborted at once; the request is logged as 499 and no key is
 * blamed; a client that misbehaves costs the others nothing (they are served meanwhile), and the
 * gateway's memory stays bounded; /ready stays 200.
 */
const KEY = 'sk-fault-client-upstream-0123456789'
let mock: MockUpstream
let s: Seeded
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded([{ name: 'clients', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['*'], keys: [KEY] }], [{ name: 'c', maxConcurrency: 2000 }])
}, 60_000)
afterAll(async () => {
  await s?.server.stop()
  await mock?.close()
})

const auth = () => ({ 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' })
const chatBody = (model: string, stream = false) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}) })
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

async function lastFinalLog(model: string) {
  await sleep(1300) // the request log is written every second
  const r = await s.server.api('GET', `/api/logs?model=${model}&type=final&pageSize=5`)
  return r.body.items[0]
}
async function expectKeyUnblamed() {
  const [k] = await keyRows(s.server, s.groupIds.clients!)
  expect({ status: k.status, consecutiveFailures: k.consecutiveFailures }).toEqual({ status: 'active', consecutiveFailures: 0 })
}
async function othersServed() {
  const t = Date.now()
  const client = new OpenAI({ apiKey: s.proxyKeys[0]!, baseURL: `${s.server.url}/v1`, maxRetries: 0 })
  const [plain, streamed] = await Promise.all([
    client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'hi' }] }),
    (async () => { let text = ''; for await (const c of await client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += c.choices[0]?.delta.content ?? ''; return text })(),
  ])
  expect(plain.choices[0]!.message.content).toContain('Hello from other')
  expect(streamed).toContain('Hello from other')
  expect((await fetch(`${s.server.url}/ready`)).status).toBe(200)
  return Date.now() - t
}

describe('fault matrix: client', () => {
  it('abort before headers: the upstream request is aborted at once, logged 499, the key not blamed', async () => {
    mock.reset()
    mock.onKey(KEY, { delayMs: 3000 })
    const ac = new AbortController()
    const p = fetch(`${s.server.url}/v1/chat/completions`, { method: 'POST', headers: auth(), body: chatBody('abort-early'), signal: ac.signal }).catch(e => e)
    await mock.waitFor(() => mock.requests.length === 1)
    ac.abort()
    await p
    const t = Date.now()
    await mock.waitFor(() => mock.requests[0]!.abortedAt !== undefined, 2000)
    expect(mock.requests[0]!.abortedAt! - t).toBeLessThan(2000)
    expect((await lastFinalLog('abort-early')).status).toBe(499)
    await expectKeyUnblamed()
    mock.reset()
    await othersServed()
  })

  it('abort mid-stream: the upstream stream is aborted, logged 499, the key not blamed', async () => {
    mock.reset()
    mock.onKey(KEY, { chunks: 50, intervalMs: 100 })
    const ac = new AbortController()
    const res = await request(`${s.server.url}/v1/chat/completions`, { method: 'POST', headers: auth(), body: chatBody('abort-mid', true), signal: ac.signal })
    for await (const _ of res.body) break
    ac.abort()
    await mock.waitFor(() => mock.requests[0]!.abortedAt !== undefined, 3000)
    expect(mock.requests[0]!.chunkTimes.length).toBeLessThan(50)
    expect((await lastFinalLog('abort-mid')).status).toBe(499)
    await expectKeyUnblamed()
    mock.reset()
    await othersServed()
  })

  it('a client that stops reading: backpressure holds the upstream back, memory stays bounded, others are served', async () => {
    mock.reset()
    const size = 256 * 1024 * 1024
    mock.onKey(KEY, { bulkBytes: size })
    const before = rssMb(s.server.process.pid!)
    const res = await request(`${s.server.url}/v1/chat/completions`, { method: 'POST', headers: auth(), body: chatBody('stops-reading') })
    expect(res.statusCode).toBe(200)
    // Read nothing for 3 s: the upstream may only have sent what the socket buffers hold.
    await sleep(3000)
    const sent = mock.requests[0]!.bytesSent
    expect(sent).toBeLessThan(64 * 1024 * 1024)
    expect(rssMb(s.server.process.pid!) - before).toBeLessThan(100)
    mock.onKey(KEY, {})
    expect(await othersServed()).toBeLessThan(5000)
    res.body.destroy()
    await mock.waitFor(() => mock.requests[0]!.abortedAt !== undefined, 3000)
    expect((await lastFinalLog('stops-reading')).status).toBe(499)
    await expectKeyUnblamed()
  })

  it('1,000 clients that connect and send nothing: the others are served meanwhile', async () => {
    mock.reset()
    const idle: Socket[] = []
    await Promise.all(Array.from({ length: 1000 }, () => new Promise<void>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: s.server.port }, () => resolve())
      sock.on('error', () => resolve())
      idle.push(sock)
    })))
    try {
      expect(idle.filter(x => !x.destroyed).length).toBe(1000)
      for (let i = 0; i < 3; i++) await othersServed()
      const health = await fetch(`${s.server.url}/health`)
      expect(health.status).toBe(200)
    } finally {
      for (const sock of idle) sock.destroy()
    }
    await sleep(200)
    await othersServed()
    expect(s.server.process.exitCode).toBe(null)
  })
})
