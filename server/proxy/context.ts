import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BodyLease } from './body'
import type { Dialect, JsonBody } from './channels'
import type { Conversion } from './conversion'
import type { Engine } from './engine'
import type { ProxyKeyRuntime } from './proxyKeys'
import type { GroupRuntime } from './registry'

/** One client request on its way through the engine. */
export type RequestContext = {
  engine: Engine
  req: IncomingMessage
  res: ServerResponse
  /** Metrics label: which family of routes it came in on. */
  route: 'proxy' | 'v1' | 'v1beta'
  /** The caller's API: the shape of our own errors and stream error events. */
  dialect: Dialect
  started: number
  /** Shared by every log record of this request. */
  requestId: string
  /** The API the client speaks (a channel type's wire format), for the log. */
  clientApi: string
  pk: ProxyKeyRuntime
  method: string
  /** Query string to forward (the client's `key` removed), without `?`. */
  query: URLSearchParams
  queryString: string
  rawBody: Buffer
  /** The body bytes this request holds in the engine's budget (released when it ends). */
  bodyLease: BodyLease
  json: JsonBody | null
  /** Upstream path before any model redirect (e.g. `/v1/chat/completions`). */
  path: string
  ip: string
  userAgent: string
  /** What the request asked for, once known (for the log of a request refused before any attempt). */
  model: string
  group: GroupRuntime | null
  clientGone: boolean
  /** Set when some candidate group speaks another API than the client (formats/). */
  conversion: Conversion | null
  /** Aborts the attempt in flight, if any. */
  abortAttempt: (() => void) | null
}
