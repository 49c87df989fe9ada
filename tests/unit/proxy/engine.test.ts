import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeEngine, fakeRequest, FakeResponse, type FakeAttempt, type FakeEngine } from '../../support/fakeEngine'

const CHAT = '/v1/chat/completions'
const ASK = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }
const OK_BODY = JSON.stringify({ id: 'x', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })

let fe: FakeEngine | undefined
afterEach(async () => { await fe?.close(); fe = undefined })

const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise(r => setTimeout(r, 2))
  }
}

describe('the failover loop (fake upstream)', () => {
  it('tries the keys in rotation order until one answers, and judges each key by its own answer', async () => {
    fe = await fakeEngine({
      keys: ['sk-one', 'sk-two', 'sk-three'],
      script: (a) => {
        if (a.key === 'sk-one') a.respond(429, { 'retry-after': '30' }, '{"error":{"message":"slow down"}}')
        else if (a.key === 'sk-two') a.respond(500, {}, '{"error":{"message":"upstream broke"}}')
        else a.respond(200, { 'content-type': 'application/json' }, OK_BODY)
      },
    })
    const res = await fe.serve(CHAT, ASK)
    expect(fe.attempts.map(a => a.key)).toEqual(['sk-one', 'sk-two', 'sk-three'])
    expect(res.statusCode).toBe(200)
    expect(res.text).toBe(OK_BODY)
    expect(fe.logs.map(l => [l.keyId, l.type, l.status])).toEqual([[1, 'retry', 429], [2, 'retry', 500], [3, 'final', 200]])
    expect(fe.logs[2]).toMatchObject({ promptTokens: 3, completionTokens: 4, proxyKeyId: 7, model: 'gpt-4o-mini' })
    // The next request skips the cooling key and starts where the rotation left off.
    await fe.serve(CHAT, ASK)
    expect(fe.attempts.slice(3).map(a => a.key)).toEqual(['sk-two', 'sk-three'])
    expect(fe.engine.keyCounts().g1).toMatchObject({ active: 2, cooling: 1 })
  })

  it('stops after max_retries and hands the last refusal to the client with the upstream key scrubbed', async () => {
    fe = await fakeEngine({
      keys: ['sk-aaaaaaaaaaaaaaaaaaaa', 'sk-bbbbbbbbbbbbbbbbbbbb', 'sk-cccccccccccccccccccc'],
      settings: { max_retries: 1 },
      script: a => a.respond(403, { 'content-type': 'application/json' }, JSON.stringify({ error: { message: `no access for ${a.key}`, type: 'permission_error' } })),
    })
    const res = await fe.serve(CHAT, ASK)
    expect(fe.attempts).toHaveLength(2)
    expect(res.statusCode).toBe(403)
    expect(res.text).not.toContain('sk-bbbbbbbbbbbbbbbbbbbb')
    expect(res.text).toContain('sk-bb…bbbb')
    expect(fe.engine.keyCounts().g1).toMatchObject({ active: 3 })
  })

  it('hands a malformed-request refusal to the client at once: no other key, no blame', async () => {
    fe = await fakeEngine({
      keys: ['sk-aaaaaaaaaaaaaaaaaaaa', 'sk-bbbbbbbbbbbbbbbbbbbb'],
      settings: { max_retries: 3, blacklist_threshold: 1 },
      script: a => a.respond(400, { 'content-type': 'application/json' }, JSON.stringify({ error: { message: 'Unrecognized request argument supplied: billing_x', type: 'invalid_request_error', code: null } })),
    })
    const res = await fe.serve(CHAT, ASK)
    expect(fe.attempts).toHaveLength(1)
    expect(res.statusCode).toBe(400)
    expect(res.json).toMatchObject({ error: { message: 'Unrecognized request argument supplied: billing_x' } })
    expect(fe.engine.keyCounts().g1).toMatchObject({ active: 2 })
  })

  it('never retries once bytes have gone to the client: a stream cut mid-way ends with an error event', async () => {
    fe = await fakeEngine({
      keys: ['sk-one', 'sk-two'],
      script: (a) => {
        a.start(200, { 'content-type': 'text/event-stream' })
        a.data('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n')
        a.fail(new Error('socket hang up'))
      },
    })
    const res = await fe.serve(CHAT, { ...ASK, stream: true })
    expect(fe.attempts).toHaveLength(1)
    expect(res.text).toContain('"Hel"')
    expect(res.text).toMatch(/data: \{"error":\{"message":"the upstream connection was lost mid-stream"/)
    expect(fe.logs.at(-1)).toMatchObject({ type: 'final', status: 502, success: false })
  })

  it('answers 503 in the caller\'s shape when no key is usable, without an upstream call', async () => {
    fe = await fakeEngine({ keys: ['sk-one'], script: a => a.respond(401, {}, '{"error":{"message":"invalid key","code":"invalid_api_key"}}'), settings: { blacklist_threshold: 1, max_retries: 0 } })
    expect((await fe.serve(CHAT, ASK)).statusCode).toBe(503)
    const res = await fe.serve('/v1/messages', { model: 'claude', max_tokens: 1, messages: [] }, { kind: 'unified' })
    expect(res.statusCode).toBe(404)
    expect(res.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
    expect(fe.attempts).toHaveLength(1)
  })
})

describe('the relay (fake upstream, fake client)', () => {
  it('pauses the upstream while the client is not reading, resumes on drain, and loses no byte', async () => {
    let upstream!: FakeAttempt
    fe = await fakeEngine({ keys: ['sk-one'], script: (a) => { upstream = a; a.start(200, { 'content-type': 'text/event-stream' }) } })
    const res = new FakeResponse(1024)
    res.stalled = true
    // The client asked for usage itself, so nothing sits between the upstream and its socket.
    const done = fe.engine.handle(fakeRequest(`/proxy/g1${CHAT}`, { ...ASK, stream: true, stream_options: { include_usage: true } }), res as unknown as ServerResponse, { kind: 'group', group: 'g1' })
    await until(() => res.headersSent)
    const chunk = `data: ${'x'.repeat(600)}\n\n`
    upstream.data(chunk)
    expect(upstream.paused).toBe(false)
    upstream.data(chunk)
    expect(upstream.paused).toBe(true)
    res.readAgain()
    await until(() => !upstream.paused)
    upstream.data(chunk)
    upstream.end()
    await done
    expect(res.text).toBe(chunk.repeat(3))
    expect(fe.logs.at(-1)).toMatchObject({ status: 200, success: true, stream: true })
  })

  it('aborts the upstream at once when the client leaves, logs 499 and blames no key', async () => {
    let upstream!: FakeAttempt
    fe = await fakeEngine({ keys: ['sk-one', 'sk-two'], script: (a) => { upstream = a; a.start(200, { 'content-type': 'text/event-stream' }); a.data('data: {}\n\n') } })
    const res = new FakeResponse()
    const done = fe.engine.handle(fakeRequest(`/proxy/g1${CHAT}`, { ...ASK, stream: true }), res as unknown as ServerResponse, { kind: 'group', group: 'g1' })
    await until(() => res.chunks.length > 0)
    res.destroy()
    await done
    expect(upstream.aborted?.message).toBe('the client closed the request')
    expect(fe.attempts).toHaveLength(1)
    expect(fe.logs.at(-1)).toMatchObject({ status: 499, success: false, type: 'final' })
    expect(fe.engine.keyCounts().g1).toMatchObject({ active: 2 })
  })
})

describe('change notices', () => {
  it('a keys notice reloads the named keys: a key an admin disabled leaves the rotation', async () => {
    fe = await fakeEngine({ keys: ['sk-one', 'sk-two'], script: a => a.respond(200, {}, OK_BODY) })
    fe.rows[0]!.status = 'disabled'
    await fe.changes({ type: 'keys', groupId: 1, keyIds: [1] })
    await until(() => fe!.engine.keyCounts().g1!.disabled === 1)
    await fe.serve(CHAT, ASK)
    await fe.serve(CHAT, ASK)
    expect(fe.attempts.map(a => a.key)).toEqual(['sk-two', 'sk-two'])
  })
})
