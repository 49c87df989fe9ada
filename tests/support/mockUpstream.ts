import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A stand-in for the OpenAI, Anthropic and Gemini APIs: answers as they do (plain and streamed,
 * with usage), records every request, and misbehaves per key on cue.
 */

/**
 * The usage every answer reports, so tests can compare logged token counts. `promptTokens`
 * includes the cached ones, as OpenAI and Gemini count them; Anthropic reports uncached input
 * separately, so its answers say `input_tokens: promptTokens - cachedTokens`.
 */
export const MOCK_USAGE = { promptTokens: 11, completionTokens: 7, cachedTokens: 3 } as const

export type Behaviour = {
  /** Answer with this status and a provider-shaped error body (or `errorBody`). */
  status?: number
  headers?: Record<string, string>
  errorBody?: unknown
  /** Never answer (the socket stays open until the client gives up). */
  stall?: boolean
  /** Wait this long before sending the response headers. */
  delayMs?: number
  /** Streamed answers: number of content chunks and the pause before each. */
  chunks?: number
  intervalMs?: number
  /** Streamed answers: destroy the connection after this many content chunks. */
  cutAfter?: number
  /**
   * Plain chat completions: a body of about this many bytes (one long message, usage at the end),
   * written in 64 KiB pieces that wait for the socket to drain; progress in `bytesSent`.
   */
  bulkBytes?: number
  /**
   * OpenAI requests: refuse a top-level body field OpenAI does not know with OpenAI's 400, which
   * echoes the field's name (`Unrecognized request argument supplied: billing_x`).
   */
  rejectUnknownFields?: boolean
  /** Anthropic answers: report this many cache-write input tokens (`cache_creation_input_tokens`) besides MOCK_USAGE. */
  cacheWriteTokens?: number
  /** Apply this many times, then behave normally again. */
  times?: number
  /** Answer with a call of this tool (in the provider's own shape, plain or streamed) instead of text. */
  toolCall?: { id: string; name: string; arguments: Record<string, unknown> }
}

export type RecordedRequest = {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: Buffer
  json: any
  /** The credential the request carried (Bearer, x-api-key, x-goog-api-key or ?key=). */
  key: string
  receivedAt: number
  /** Set when the client closed the connection before the answer was complete. */
  abortedAt?: number
  finishedAt?: number
  /** When each streamed chunk was written (ms epoch). */
  chunkTimes: number[]
  /** Bytes of the body written so far (`bulkBytes` answers). */
  bytesSent: number
}

export type MockUpstream = {
  url: string
  requests: RecordedRequest[]
  /** Ids served by the model lists. */
  models: string[]
  onKey(key: string, b: Behaviour): void
  setDefault(b: Behaviour): void
  reset(): void
  /** Keys used, in order. */
  keysUsed(): string[]
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

function credential(req: IncomingMessage, query: URLSearchParams): string {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  const h = req.headers['x-api-key'] ?? req.headers['x-goog-api-key']
  if (typeof h === 'string') return h
  return query.get('key') ?? ''
}

type Flavour = 'openai' | 'anthropic' | 'gemini'
function flavourOf(path: string): Flavour {
  if (path.startsWith('/v1beta/openai/')) return 'openai'
  if (path.startsWith('/v1beta/')) return 'gemini'
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic'
  return 'openai'
}

function errorBody(flavour: Flavour, status: number, message: string): unknown {
  if (flavour === 'anthropic') return { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : 'api_error', message } }
  if (flavour === 'gemini') return { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : 'INTERNAL' } }
  return { error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', code: status === 401 ? 'invalid_api_key' : null } }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** The organisation, project and Google quota project our keys belong to: any other is refused. */
export const MOCK_ACCOUNT = { organization: 'org-keygate', project: 'proj_keygate', googleProject: 'keygate-project' } as const

/** Top-level fields of the OpenAI requests the tests send (chat, completions, responses, embeddings, images, audio). */
const OPENAI_FIELDS = new Set([
  'model', 'messages', 'prompt', 'input', 'instructions', 'stream', 'stream_options', 'temperature', 'top_p', 'n', 'stop', 'max_tokens',
  'max_completion_tokens', 'max_output_tokens', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'user',
  'seed', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'text', 'reasoning', 'reasoning_effort', 'metadata', 'store',
  'previous_response_id', 'include', 'modalities', 'audio', 'prediction', 'service_tier', 'encoding_format', 'dimensions', 'size',
  'quality', 'voice', 'purpose',
])

const openAiError = (message: string, code: string | null) => ({ error: { message, type: 'invalid_request_error', param: null, code } })

/**
 * What the providers answer, whatever the key, to a request that names another account or
 * reaches an admin endpoint; null for everything else.
 */
function accountRefusal(rec: RecordedRequest, flavour: Flavour): { status: number; body: unknown } | null {
  const h = rec.headers
  if (flavour === 'openai') {
    if (h['openai-organization'] !== undefined && h['openai-organization'] !== MOCK_ACCOUNT.organization)
      return { status: 401, body: openAiError('OpenAI-Organization header should match organization for API key', 'mismatched_organization') }
    if (h['openai-project'] !== undefined && h['openai-project'] !== MOCK_ACCOUNT.project)
      return { status: 401, body: openAiError('OpenAI-Project header should match project for API key', 'mismatched_project') }
    if (rec.path.startsWith('/v1/organization/'))
      return { status: 403, body: openAiError('You have insufficient permissions for this operation. Missing scopes: api.management.read.', null) }
  }
  if (flavour === 'gemini' && h['x-goog-user-project'] !== undefined && h['x-goog-user-project'] !== MOCK_ACCOUNT.googleProject) {
    return { status: 403, body: { error: {
      code: 403, message: `Caller does not have required permission to use project ${String(h['x-goog-user-project'])}.`, status: 'PERMISSION_DENIED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'USER_PROJECT_DENIED', 'domain': 'googleapis.com' }],
    } } }
  }
  return null
}

export async function startMockUpstream(): Promise<MockUpstream> {
  const requests: RecordedRequest[] = []
  const perKey = new Map<string, Behaviour>()
  let fallback: Behaviour = {}
  const sockets = new Set<Socket>()
  const mock = { models: ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku-latest', 'gemini-2.0-flash'] } as MockUpstream

  function behaviourFor(key: string): Behaviour {
    const b = perKey.get(key)
    if (b) {
      if (b.times !== undefined) {
        if (b.times <= 0) { perKey.delete(key); return fallback }
        b.times--
      }
      return b
    }
    return fallback
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url ?? '/', 'http://mock')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    let json: any = null
    try { json = body.length ? JSON.parse(body.toString('utf8')) : null } catch {}
    const rec: RecordedRequest = {
      method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body, json,
      key: credential(req, u.searchParams), receivedAt: Date.now(), chunkTimes: [], bytesSent: 0,
    }
    requests.push(rec)
    recOf.set(res, rec)
    res.on('close', () => { if (!res.writableFinished) rec.abortedAt ??= Date.now() })
    res.on('finish', () => { rec.finishedAt = Date.now() })

    const b = behaviourFor(rec.key)
    const flavour = flavourOf(u.pathname)
    if (b.stall) return
    if (b.delayMs) await sleep(b.delayMs)
    if (b.status && b.status >= 400) {
      const payload = JSON.stringify(b.errorBody ?? errorBody(flavour, b.status, `mock failure ${b.status}`))
      res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers })
      res.end(payload)
      return
    }
    const refusal = accountRefusal(rec, flavour)
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...b.headers })
      res.end(JSON.stringify(refusal.body))
      return
    }
    const strict = b.rejectUnknownFields && flavour === 'openai' && json && typeof json === 'object'
    const unknown = strict ? Object.keys(json).find(k => !OPENAI_FIELDS.has(k)) : undefined
    if (unknown !== undefined) {
      res.writeHead(400, { 'content-type': 'application/json', ...b.headers })
      res.end(JSON.stringify(openAiError(`Unrecognized request argument supplied: ${unknown}`, null)))
      return
    }
    if (b.bulkBytes) return sendBulk(rec, b.bulkBytes, res)
    await answer(rec, u, b, res, flavour)
  }

  async function sendBulk(rec: RecordedRequest, size: number, res: ServerResponse) {
    const piece = Buffer.alloc(65536, 'x')
    const head = Buffer.from('{"id":"chatcmpl-bulk","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"')
    const { promptTokens: p, completionTokens: c, cachedTokens: k } = MOCK_USAGE
    const tail = Buffer.from(`"},"finish_reason":"stop"}],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c},"prompt_tokens_details":{"cached_tokens":${k}}}}`)
    const pieces = Math.ceil(size / piece.length)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(head.length + pieces * piece.length + tail.length) })
    const write = async (buf: Buffer) => {
      rec.bytesSent += buf.length
      if (!res.write(buf)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve) })
    }
    await write(head)
    for (let i = 0; i < pieces && !res.destroyed; i++) await write(piece)
    if (!res.destroyed) res.end(tail)
  }

  async function answer(rec: RecordedRequest, u: URL, b: Behaviour, res: ServerResponse, flavour: Flavour) {
    const path = u.pathname
    const sendJson = (obj: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json', ...b.headers })
      res.end(JSON.stringify(obj))
    }
    if (rec.method === 'GET' && (path === '/v1/models' || path === '/v1beta/openai/models')) {
      if (rec.headers['anthropic-version']) {
        return sendJson({ data: mock.models.map(id => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })), has_more: false, first_id: mock.models[0] ?? null, last_id: mock.models.at(-1) ?? null })
      }
      return sendJson({ object: 'list', data: mock.models.map(id => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })) })
    }
    if (rec.method === 'GET' && path === '/v1beta/models') {
      return sendJson({ models: mock.models.map(id => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent'] })) })
    }
    const model: string = flavour === 'gemini' ? decodeURIComponent(/\/models\/([^/:]+)/.exec(path)?.[1] ?? '') : rec.json?.model ?? ''
    const text = `Hello from ${model}`
    const pieces = Array.from({ length: b.chunks ?? 3 }, (_, i) => (i === 0 ? text : ` part${i}`))
    const full = pieces.join('')
    const { promptTokens: p, completionTokens: c, cachedTokens: k } = MOCK_USAGE

    if (rec.method === 'POST' && path === '/v1/files') {
      return sendJson({ id: 'file-mock', object: 'file', bytes: rec.body.length, created_at: 1700000000, filename: 'upload', purpose: 'batch' })
    }
    if (path.endsWith('/embeddings')) {
      return sendJson({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], model, usage: { prompt_tokens: p, total_tokens: p } })
    }
    const isStream = flavour === 'gemini' ? path.endsWith(':streamGenerateContent') : rec.json?.stream === true
    if (b.toolCall) return sendToolCall(res, b, flavour, path, model, isStream)
    if (!isStream) {
      if (flavour === 'anthropic') {
        return sendJson({ id: 'msg_mock', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: full }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: p - k, output_tokens: c, cache_read_input_tokens: k, cache_creation_input_tokens: b.cacheWriteTokens ?? 0 } })
      }
      if (flavour === 'gemini') {
        return sendJson({ candidates: [{ content: { role: 'model', parts: [{ text: full }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: p, candidatesTokenCount: c, totalTokenCount: p + c, cachedContentTokenCount: k }, modelVersion: model })
      }
      if (path.endsWith('/responses')) return sendJson(responseObject(model, full, rec))
      return sendJson({ id: 'chatcmpl-mock', object: 'chat.completion', created: 1700000000, model, choices: [{ index: 0, message: { role: 'assistant', content: full, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c, prompt_tokens_details: { cached_tokens: k } } })
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...b.headers })
    res.flushHeaders()
    const events = streamEvents(flavour, path, model, pieces, rec, b)
    let contentSent = 0
    for (const ev of events) {
      if (ev.content) {
        if (b.cutAfter !== undefined && contentSent >= b.cutAfter) { res.socket?.destroy(); return }
        // The pause comes before every content chunk, the first included: a client that has just
        // received the headers is reading by the time the first chunk goes out.
        if (b.intervalMs) await sleep(b.intervalMs)
        contentSent++
      }
      if (res.destroyed) return
      // Wait for each write to reach the socket, so a later cut loses nothing already "sent".
      await new Promise<void>(r => res.write(ev.data, () => r()))
      if (ev.content) rec.chunkTimes.push(Date.now())
    }
    res.end()
  }

  /** A tool call answer, as each provider documents it: the arguments streamed in two pieces where the API streams them. */
  function sendToolCall(res: ServerResponse, b: Behaviour, flavour: Flavour, path: string, model: string, stream: boolean) {
    const tc = b.toolCall!
    const args = JSON.stringify(tc.arguments)
    const half = Math.floor(args.length / 2)
    const { promptTokens: p, completionTokens: c, cachedTokens: k } = MOCK_USAGE
    const sse = (obj: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(obj)}\n\n`
    const oaUsage = { prompt_tokens: p, completion_tokens: c, total_tokens: p + c, prompt_tokens_details: { cached_tokens: k } }
    const anUsage = { input_tokens: p - k, output_tokens: c, cache_read_input_tokens: k, cache_creation_input_tokens: 0 }
    const geUsage = { promptTokenCount: p, candidatesTokenCount: c, totalTokenCount: p + c, cachedContentTokenCount: k }
    const respUsage = {
      input_tokens: p, output_tokens: c, total_tokens: p + c,
      input_tokens_details: { cached_tokens: k }, output_tokens_details: { reasoning_tokens: 0 },
    }
    const fcItem = { type: 'function_call', id: 'fc_mock', call_id: tc.id, name: tc.name, arguments: args, status: 'completed' }
    const respDone = { id: 'resp_mock', object: 'response', created_at: 1700000000, status: 'completed', model, output: [fcItem], usage: respUsage }
    if (!stream) {
      let body: unknown
      if (flavour === 'anthropic') body = { id: 'msg_mock', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: tc.id, name: tc.name, input: tc.arguments }], stop_reason: 'tool_use', stop_sequence: null, usage: anUsage }
      else if (flavour === 'gemini') body = { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: tc.name, args: tc.arguments } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: geUsage, modelVersion: model }
      else if (path.endsWith('/responses')) body = respDone
      else body = { id: 'chatcmpl-mock', object: 'chat.completion', created: 1700000000, model, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: tc.id, type: 'function', function: { name: tc.name, arguments: args } }] }, finish_reason: 'tool_calls' }], usage: oaUsage }
      res.writeHead(200, { 'content-type': 'application/json', ...b.headers })
      res.end(JSON.stringify(body))
      return
    }
    let events: string[]
    if (flavour === 'anthropic') {
      events = [
        sse({ type: 'message_start', message: { id: 'msg_mock', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...anUsage, output_tokens: 1 } } }, 'message_start'),
        sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
        sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check.' } }, 'content_block_delta'),
        sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
        sse({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: tc.id, name: tc.name, input: {} } }, 'content_block_start'),
        sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: args.slice(0, half) } }, 'content_block_delta'),
        sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: args.slice(half) } }, 'content_block_delta'),
        sse({ type: 'content_block_stop', index: 1 }, 'content_block_stop'),
        sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: c } }, 'message_delta'),
        sse({ type: 'message_stop' }, 'message_stop'),
      ]
    } else if (flavour === 'gemini') {
      events = [sse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: tc.name, args: tc.arguments } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: geUsage, modelVersion: model })]
    } else if (path.endsWith('/responses')) {
      events = [
        sse({ type: 'response.created', sequence_number: 0, response: { ...respDone, status: 'in_progress', output: [], usage: null } }, 'response.created'),
        sse({ type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { ...fcItem, arguments: '', status: 'in_progress' } }, 'response.output_item.added'),
        sse({ type: 'response.function_call_arguments.delta', sequence_number: 2, item_id: 'fc_mock', output_index: 0, delta: args.slice(0, half) }, 'response.function_call_arguments.delta'),
        sse({ type: 'response.function_call_arguments.delta', sequence_number: 3, item_id: 'fc_mock', output_index: 0, delta: args.slice(half) }, 'response.function_call_arguments.delta'),
        sse({ type: 'response.function_call_arguments.done', sequence_number: 4, item_id: 'fc_mock', output_index: 0, arguments: args }, 'response.function_call_arguments.done'),
        sse({ type: 'response.output_item.done', sequence_number: 5, output_index: 0, item: fcItem }, 'response.output_item.done'),
        sse({ type: 'response.completed', sequence_number: 6, response: respDone }, 'response.completed'),
      ]
    } else {
      const chunk = (delta: unknown, finish: string | null, extra: object = {}) => `data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`
      events = [
        chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: tc.id, type: 'function', function: { name: tc.name, arguments: '' } }] }, null),
        chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }, null),
        chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, null),
        chunk({}, 'tool_calls'),
      ]
      if (rec0(res)?.json?.stream_options?.include_usage) events.push(`data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model, choices: [], usage: oaUsage })}\n\n`)
      events.push('data: [DONE]\n\n')
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...b.headers })
    res.end(events.join(''))
  }
  const recOf = new WeakMap<ServerResponse, RecordedRequest>()
  const rec0 = (res: ServerResponse) => recOf.get(res)

  /**
   * Responses get ids of their own, as OpenAI's do (sticky-key tests follow them), yet the same
   * for the same key and body, so an answer through Keygate equals the one fetched directly.
   */
  function responseObject(model: string, text: string, rec?: RecordedRequest) {
    const id = rec ? `resp_${createHash('sha256').update(rec.key).update(rec.body).digest('hex').slice(0, 24)}` : 'resp_mock'
    const { promptTokens: p, completionTokens: c, cachedTokens: k } = MOCK_USAGE
    return { id, object: 'response', created_at: 1700000000, status: 'completed', model, output: [{ type: 'message', id: 'msg_mock', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }], usage: { input_tokens: p, output_tokens: c, total_tokens: p + c, input_tokens_details: { cached_tokens: k }, output_tokens_details: { reasoning_tokens: 0 } } }
  }

  type StreamEvent = { data: string; content: boolean }
  function streamEvents(
    flavour: Flavour, path: string, model: string, pieces: string[], rec: RecordedRequest, b: Behaviour = {},
  ): StreamEvent[] {
    const json = rec.json
    const { promptTokens: p, completionTokens: c, cachedTokens: k } = MOCK_USAGE
    const sse = (obj: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(obj)}\n\n`
    if (flavour === 'anthropic') {
      return [
        { data: sse({ type: 'message_start', message: { id: 'msg_mock', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: p - k, output_tokens: 1, cache_read_input_tokens: k, cache_creation_input_tokens: b.cacheWriteTokens ?? 0 } } }, 'message_start'), content: false },
        { data: sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'), content: false },
        ...pieces.map(t => ({ data: sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } }, 'content_block_delta'), content: true })),
        { data: sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'), content: false },
        { data: sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: c } }, 'message_delta'), content: false },
        { data: sse({ type: 'message_stop' }, 'message_stop'), content: false },
      ]
    }
    if (flavour === 'gemini') {
      return pieces.map((t, i) => {
        const last = i === pieces.length - 1
        return { data: sse({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }], usageMetadata: last ? { promptTokenCount: p, candidatesTokenCount: c, totalTokenCount: p + c, cachedContentTokenCount: k } : { promptTokenCount: p, totalTokenCount: p }, modelVersion: model }), content: true }
      })
    }
    if (path.endsWith('/responses')) {
      const full = pieces.join('')
      const done = responseObject(model, full, rec)
      return [
        { data: sse({ type: 'response.created', sequence_number: 0, response: { ...done, status: 'in_progress', output: [], usage: null } }, 'response.created'), content: false },
        ...pieces.map((t, i) => ({ data: sse({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: 'msg_mock', output_index: 0, content_index: 0, delta: t }, 'response.output_text.delta'), content: true })),
        { data: sse({ type: 'response.completed', sequence_number: pieces.length + 1, response: done }, 'response.completed'), content: false },
      ]
    }
    // Asked for usage, OpenAI adds `"usage": null` to every chunk before the usage chunk.
    const nullUsage = json?.stream_options?.include_usage ? { usage: null } : {}
    const chunk = (delta: unknown, finish: string | null) => ({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...nullUsage })
    const out = pieces.map((t, i) => ({ data: `data: ${JSON.stringify(chunk(i === 0 ? { role: 'assistant', content: t } : { content: t }, null))}\n\n`, content: true }))
    out.push({ data: `data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`, content: false })
    if (json?.stream_options?.include_usage) {
      out.push({ data: `data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model, choices: [], usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c, prompt_tokens_details: { cached_tokens: k } } })}\n\n`, content: false })
    }
    out.push({ data: 'data: [DONE]\n\n', content: false })
    return out
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500); res.end() })
  })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port

  Object.assign(mock, {
    url: `http://127.0.0.1:${port}`,
    requests,
    onKey(key: string, b: Behaviour) { perKey.set(key, { ...b }) },
    setDefault(b: Behaviour) { fallback = b },
    reset() { perKey.clear(); fallback = {}; requests.length = 0 },
    keysUsed: () => requests.map(r => r.key),
    async waitFor(pred: () => boolean, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs
      while (!pred()) {
        if (Date.now() > end) throw new Error('mock upstream: condition not met in time')
        await sleep(5)
      }
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>(r => server.close(() => r()))
    },
  })
  return mock
}
