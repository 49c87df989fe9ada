import type { EventEmitter } from 'node:events'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { Readable, Writable } from 'node:stream'
import pino from 'pino'
import type { Dispatcher } from 'undici'
import { createProxyEngine } from '../../server/proxy'
import type { EngineChange, KeyStateUpdate, PoolKeyRow, ProxyEngine, RequestLogEntry } from '../../server/proxy/ports'
import { createMemoryStore } from '../../server/store/memory'
import { DEFAULT_SETTINGS, type SettingsMap } from '../../shared/settings'
import type { GroupRow, ProxyKeyRow } from '../../shared/types/rows'
import { groupRow } from './groups'

/**
 * The proxy engine built from fakes: an in-memory "database", a fake upstream transport whose
 * answers each test scripts, and a fake client request and response. No sockets, no Nitro.
 */

export const PROXY_KEY = 'pk-fake-consumer-0123456789'

/** What a scripted upstream does with one attempt. */
export type UpstreamScript = (attempt: FakeAttempt) => void

/** The controller undici hands the handler: it reads and steers the state of its attempt. */
class FakeController implements Dispatcher.DispatchController {
  constructor(private readonly attempt: FakeAttempt) {}
  get aborted() { return this.attempt.aborted !== null }
  get paused() { return this.attempt.paused }
  get reason() { return this.attempt.aborted }
  abort = (reason: Error) => {
    if (this.attempt.aborted) return
    this.attempt.aborted = reason
    // undici reports an abort to the handler as an error.
    this.attempt.handler.onResponseError?.(this, reason)
  }

  pause = () => { this.attempt.paused = true }
  resume = () => { this.attempt.paused = false }
}

/** One request the engine sent upstream, with the handler undici would drive. */
export class FakeAttempt {
  paused = false
  aborted: Error | null = null
  readonly controller: Dispatcher.DispatchController
  constructor(readonly opts: Dispatcher.DispatchOptions, readonly handler: Dispatcher.DispatchHandler) {
    this.controller = new FakeController(this)
    handler.onRequestStart?.(this.controller, {})
  }

  get key(): string {
    const h = this.opts.headers as Record<string, string>
    return (h.authorization ?? '').replace(/^Bearer /, '')
  }

  respond(status: number, headers: IncomingHttpHeaders = {}, ...chunks: string[]) {
    this.start(status, headers)
    for (const c of chunks) this.data(c)
    this.end()
  }

  start(status: number, headers: IncomingHttpHeaders = {}) {
    this.handler.onResponseStart?.(this.controller, status, headers, '')
  }

  data(chunk: string | Buffer) {
    this.handler.onResponseData?.(this.controller, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  }

  end() { this.handler.onResponseEnd?.(this.controller, {}) }

  fail(err = new Error('connect ECONNREFUSED')) { this.handler.onResponseError?.(this.controller, err) }
}

/** A client's response: a real Writable whose writes complete only as the test lets them (a slow reader). */
export class FakeResponse extends Writable {
  statusCode = 0
  headers: Record<string, unknown> = {}
  headersSent = false
  readonly chunks: Buffer[] = []
  private held: (() => void)[] = []
  /** While true, writes wait (the client stopped reading). */
  stalled = false

  constructor(highWaterMark = 16 * 1024) { super({ highWaterMark }) }

  writeHead(status: number, headers: Record<string, unknown> = {}) {
    this.statusCode = status
    this.headers = headers
    this.headersSent = true
    return this
  }

  flushHeaders() {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.chunks.push(chunk)
    if (this.stalled) this.held.push(done)
    else done()
  }

  /** The client reads again: every held write completes. */
  readAgain() {
    this.stalled = false
    for (const done of this.held.splice(0)) done()
  }

  get text() { return Buffer.concat(this.chunks).toString('utf8') }
  get json() { return JSON.parse(this.text) as unknown }
}

export function fakeRequest(path: string, body: unknown, headers: IncomingHttpHeaders = {}): IncomingMessage {
  const raw = body === undefined ? '' : JSON.stringify(body)
  const req = Readable.from(raw ? [Buffer.from(raw)] : []) as unknown as IncomingMessage & EventEmitter
  Object.assign(req, {
    url: path,
    method: raw ? 'POST' : 'GET',
    headers: { 'authorization': `Bearer ${PROXY_KEY}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(raw)), ...headers },
    socket: { remoteAddress: '127.0.0.1' },
    complete: true,
  })
  return req
}

export type FakeEngine = {
  engine: ProxyEngine
  attempts: FakeAttempt[]
  /** The "database" rows of the group's keys: change them, then send a notice. */
  rows: PoolKeyRow[]
  logs: RequestLogEntry[]
  keyWrites: KeyStateUpdate[]
  changes: (c: EngineChange) => Promise<void>
  settings: SettingsMap
  /** Runs one request through the engine; resolves with the client's response once the engine is done. */
  serve(path: string, body: unknown, route?: { kind: 'group'; group: string } | { kind: 'unified' }): Promise<FakeResponse>
  close(): Promise<void>
}

/**
 * Builds an engine with one group `g1` (`group` overrides its row) holding `keys` secrets, and
 * one proxy key. Every upstream attempt is handed to `script`.
 */
export async function fakeEngine(opts: {
  keys: string[]
  script: UpstreamScript
  group?: Partial<GroupRow>
  settings?: Partial<SettingsMap>
}): Promise<FakeEngine> {
  const attempts: FakeAttempt[] = []
  const logs: RequestLogEntry[] = []
  const keyWrites: KeyStateUpdate[] = []
  const handlers: ((c: EngineChange) => void | Promise<void>)[] = []
  const settings: SettingsMap = { ...DEFAULT_SETTINGS, ...opts.settings }
  const group = groupRow({ upstreams: [{ url: 'http://upstream.test', weight: 1 }], ...opts.group })
  const rows: PoolKeyRow[] = opts.keys.map((k, i) => ({
    id: i + 1, groupId: group.id, keyCiphertext: `enc:${k}`, status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null,
  }))
  const proxyKey: ProxyKeyRow = {
    id: 7, name: 'consumer', keyHash: `hash:${PROXY_KEY}`, masked: 'pk-…', groupIds: [], models: [], rpm: 0, tpm: 0, maxConcurrency: 0,
    budgetTokens: 0, budgetPeriod: '', budgetCost: 0, ipAllowlist: [], expiresAt: null, enabled: true, createdAt: 0, updatedAt: 0,
  }
  const transport = {
    dispatch(o: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      const a = new FakeAttempt(o, handler)
      attempts.push(a)
      queueMicrotask(() => opts.script(a))
      return true
    },
    close: async () => {},
  } as unknown as Dispatcher
  const store = createMemoryStore()
  const engine = await createProxyEngine({
    data: {
      loadGroups: async () => ({ groups: [group], subGroups: [] }),
      loadPoolKeyPage: async (_g, after, limit) => rows.filter(r => r.id > after).slice(0, limit),
      loadPoolKeysByIds: async (_g, ids) => rows.filter(r => ids.includes(r.id)),
      loadProxyKeys: async () => [proxyKey],
      writeKeyStates: async (u) => { keyWrites.push(...u); return new Set(u.map(x => x.id)) },
      loadPrices: async () => [],
      loadProxyKeySpend: async () => ({ requests: 0, tokens: 0, cost: 0 }),
    },
    changes: { subscribe: h => handlers.push(h) },
    requestLog: { record: e => logs.push(e) },
    metrics: { requestFinished() {}, attempt() {} },
    settings: { current: () => settings },
    secrets: { decrypt: c => c.slice(4), hash: s => `hash:${s}` },
    store,
    log: pino({ level: 'silent' }),
    options: {
      instanceId: 'test', maxConcurrentRequests: 100, maxRequestBodyBytes: 1 << 20, trustProxy: false,
      requestBodyTimeoutMs: 30_000, maxBufferedBodyBytes: 64 << 20, proxyKeyMaxShare: 1,
      cors: { enabled: false, origins: [] }, outboundProxy: { http: '', https: '', noProxy: '' },
    },
    upstreamTransport: () => transport,
  })
  return {
    engine, attempts, rows, logs, keyWrites, settings,
    changes: async (c) => { for (const h of handlers) await h(c) },
    async serve(path, body, route = { kind: 'group', group: group.name }) {
      const res = new FakeResponse()
      const url = route.kind === 'group' ? `/proxy/${route.group}${path}` : path
      await engine.handle(fakeRequest(url, body), res as unknown as ServerResponse, route)
      return res
    },
    async close() { await engine.close(); await store.close() },
  }
}
