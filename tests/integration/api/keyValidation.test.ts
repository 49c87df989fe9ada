import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, waitForTask, type BackendServer } from '../../support/backends'

const GOOD = 'sk-good-aaaaaaaaaaaaaaaaaaaaaaaa'
const BAD = 'sk-bad-bbbbbbbbbbbbbbbbbbbbbbbbb'
const FLAKY = 'sk-flaky-cccccccccccccccccccccc'
const OFF = 'sk-off-dddddddddddddddddddddddd'

/** An OpenAI-shaped upstream: 200 for GOOD, 401 for BAD, 503 for FLAKY (the provider's fault). */
function mockUpstream(): Promise<{ server: Server; url: string; seen: { path: string; auth: string; body: any }[] }> {
  const seen: { path: string; auth: string; body: any }[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => { raw += c })
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '')
      let body: any = null
      try { body = JSON.parse(raw) } catch {}
      seen.push({ path: req.url ?? '', auth, body })
      const key = auth.replace(/^Bearer /, '')
      const [status, payload] = key === GOOD
        ? [200, { id: 'x', choices: [{ message: { content: 'hi' } }] }]
        : key === FLAKY
          ? [503, { error: { message: 'overloaded' } }]
          : [401, { error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error', code: 'invalid_api_key' } }]
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    })
  })
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen })))
}

describe.each(BACKENDS)('key validation on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  let up: Awaited<ReturnType<typeof mockUpstream>>
  let gid: number
  const ids: Record<string, number> = {}
  const off = skip
  beforeAll(async () => {
    if (off) return
    up = await mockUpstream()
    s = await startOn(backend, 'validate')
    gid = (await s.server.api('POST', '/api/groups', { name: 'validate', channel: 'openai', upstreams: [{ url: up.url, weight: 1 }], testModel: 'gpt-4o-mini' })).body.id
    await waitForTask(s.server, (await s.server.api('POST', `/api/groups/${gid}/keys`, { keys: [GOOD, BAD, FLAKY, OFF] })).body.taskId)
    for (const k of (await s.server.api('GET', `/api/groups/${gid}/keys`)).body.items) ids[k.masked] = k.id
  })
  afterAll(async () => { await s?.stop(); up?.server.close() })
  const idOf = (key: string) => ids[`${key.slice(0, 5)}…${key.slice(-4)}`]!

  it.skipIf(off)('tests one key with the channel\'s request and records the outcome', async () => {
    const ok = await s.server.api('POST', `/api/keys/${idOf(GOOD)}/test`)
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), error: null })
    const sent = up.seen.at(-1)!
    expect(sent.auth).toBe(`Bearer ${GOOD}`)
    expect(sent.path).toContain('/chat/completions')
    expect(sent.body).toMatchObject({ model: 'gpt-4o-mini' })

    const bad = await s.server.api('POST', `/api/keys/${idOf(BAD)}/test`)
    expect(bad.body).toMatchObject({ ok: false, status: 401, error: expect.any(String) })
    expect(JSON.stringify(bad.body)).not.toContain(BAD)
    const row = (await s.server.api('GET', `/api/groups/${gid}/keys?status=invalid`)).body.items
    expect(row).toHaveLength(1)
    expect(row[0].id).toBe(idOf(BAD))
    expect(row[0].lastError).toBeTruthy()
    expect(row[0].lastError).not.toContain(BAD)
  })

  it.skipIf(off)('validates a group\'s keys as a task: success restores, key-blaming failures invalidate, provider errors do not', async () => {
    await s.server.api('PATCH', `/api/keys/${idOf(OFF)}`, { status: 'disabled' })
    await s.direct.exec(`UPDATE api_keys SET status = 'invalid', consecutive_failures = 3 WHERE id = ?`, [idOf(GOOD)])
    const r = await s.server.api('POST', `/api/groups/${gid}/keys/actions`, { action: 'validate' })
    expect(r.status).toBe(202)
    const t = await waitForTask(s.server, r.body.taskId)
    expect(t).toMatchObject({ type: 'validate-keys', state: 'done', processed: 3, total: 3, result: { valid: 1, invalid: 1, failed: 1 } })
    const byId = Object.fromEntries((await s.server.api('GET', `/api/groups/${gid}/keys`)).body.items.map((k: any) => [k.id, k]))
    expect(byId[idOf(GOOD)]).toMatchObject({ status: 'active', consecutiveFailures: 0, lastError: null })
    expect(byId[idOf(BAD)].status).toBe('invalid')
    expect(byId[idOf(FLAKY)].status).toBe('active')
    expect(byId[idOf(OFF)].status).toBe('disabled')
    expect(up.seen.some(x => x.auth === `Bearer ${OFF}`)).toBe(false)

    const only = await s.server.api('POST', `/api/groups/${gid}/keys/actions`, { action: 'validate', status: 'invalid' })
    expect((await waitForTask(s.server, only.body.taskId)).result).toEqual({ valid: 0, invalid: 1, failed: 0 })
  })
})
