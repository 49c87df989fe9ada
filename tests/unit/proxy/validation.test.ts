import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { UpstreamDispatchers, undiciTransport } from '../../../server/proxy/upstreamPools'
import { validateKey as validateWith } from '../../../server/proxy/validation'
import { DEFAULT_SETTINGS } from '../../../shared/settings'
import type { GroupRow } from '../../../shared/types/rows'
import { groupRow } from '../../support/groups'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'

let mock: MockUpstream
const dispatchers = new UpstreamDispatchers(undiciTransport({ http: '', https: '', noProxy: '' }))
const validateKey = (group: GroupRow, key: string, opts?: { timeoutMs?: number }) =>
  validateWith(group, key, DEFAULT_SETTINGS, dispatchers, opts)
beforeAll(async () => { mock = await startMockUpstream() })
afterAll(async () => { await dispatchers.close(); await mock.close() })
beforeEach(() => mock.reset())

const KEY = 'sk-validation-test-0123456789abcdef'

describe('validateKey', () => {
  it('sends a one-token chat completion with Bearer for openai', async () => {
    const r = await validateKey(groupRow({ upstreams: [{ url: mock.url, weight: 1 }] }), KEY)
    expect(r).toMatchObject({ ok: true, status: 200, error: null })
    const req = mock.requests[0]!
    expect(req.method).toBe('POST')
    expect(req.path).toBe('/v1/chat/completions')
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(req.json).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 })
  })

  it('uses /v1/responses for openai-response', async () => {
    await validateKey(groupRow({ channel: 'openai-response', upstreams: [{ url: mock.url, weight: 1 }] }), KEY)
    expect(mock.requests[0]!.path).toBe('/v1/responses')
    expect(mock.requests[0]!.json.model).toBe('gpt-4o-mini')
  })

  it('sends x-api-key and anthropic-version for anthropic', async () => {
    await validateKey(groupRow({ channel: 'anthropic', testModel: 'claude-3-5-haiku-latest', upstreams: [{ url: mock.url, weight: 1 }] }), KEY)
    const req = mock.requests[0]!
    expect(req.path).toBe('/v1/messages')
    expect(req.headers['x-api-key']).toBe(KEY)
    expect(req.headers['anthropic-version']).toBeTruthy()
    expect(req.headers.authorization).toBeUndefined()
  })

  it('calls generateContent with x-goog-api-key for gemini', async () => {
    await validateKey(groupRow({ channel: 'gemini', testModel: 'gemini-2.0-flash', upstreams: [{ url: mock.url, weight: 1 }] }), KEY)
    const req = mock.requests[0]!
    expect(req.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent')
    expect(req.headers['x-goog-api-key']).toBe(KEY)
    expect(req.query.get('key')).toBeNull()
  })

  it('honours validationPath and skips upstreams with weight 0', async () => {
    const g = groupRow({ validationPath: '/custom/check', upstreams: [{ url: 'http://127.0.0.1:1', weight: 0 }, { url: `${mock.url}/base`, weight: 2 }] })
    const r = await validateKey(g, KEY)
    expect(r.ok).toBe(true)
    expect(mock.requests[0]!.path).toBe('/base/custom/check')
  })

  it('reports a refused key with the upstream status and never the key itself', async () => {
    mock.onKey(KEY, { status: 401, errorBody: { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } } })
    const r = await validateKey(groupRow({ upstreams: [{ url: mock.url, weight: 1 }] }), KEY)
    expect(r.ok).toBe(false)
    expect(r.status).toBe(401)
    expect(r.error).toContain('Incorrect API key')
    expect(r.error).not.toContain(KEY)
  })

  it('gives up after timeoutMs on a stalled upstream', async () => {
    mock.onKey(KEY, { stall: true })
    const r = await validateKey(groupRow({ upstreams: [{ url: mock.url, weight: 1 }] }), KEY, { timeoutMs: 200 })
    expect(r).toMatchObject({ ok: false, status: 0 })
    expect(r.latencyMs).toBeGreaterThanOrEqual(190)
    expect(r.latencyMs).toBeLessThan(2000)
  })

  it('reports an unreachable upstream as status 0', async () => {
    const r = await validateKey(groupRow({ upstreams: [{ url: 'http://127.0.0.1:1', weight: 1 }] }), KEY)
    expect(r).toMatchObject({ ok: false, status: 0 })
    expect(r.error).toBeTruthy()
  })
})

describe('outbound proxy', () => {
  it("sends upstream traffic through the group's proxy_url", async () => {
    const { createServer } = await import('node:http')
    const net = await import('node:net')
    const tunnels: string[] = []
    const proxy = createServer((req, res) => {
      // Plain forward-proxy request (absolute URL).
      tunnels.push(`GET ${req.url}`)
      res.writeHead(502).end()
    })
    const sockets: { destroy(): void }[] = []
    proxy.on('connect', (req, client, head) => {
      tunnels.push(`CONNECT ${req.url}`)
      sockets.push(client)
      const [host, port] = String(req.url).split(':')
      const up = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        up.write(head)
        up.pipe(client)
        client.pipe(up)
      })
      up.on('error', () => client.destroy())
      client.on('error', () => up.destroy())
    })
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r))
    const port = (proxy.address() as { port: number }).port
    try {
      const r = await validateKey(groupRow({ upstreams: [{ url: mock.url, weight: 1 }], config: { proxy_url: `http://127.0.0.1:${port}` } }), KEY)
      expect(r.ok).toBe(true)
      expect(tunnels.length).toBeGreaterThan(0)
      expect(tunnels[0]).toContain(new URL(mock.url).host)
    } finally {
      for (const so of sockets) so.destroy()
      await new Promise<void>(r => proxy.close(() => r()))
    }
  })
})
