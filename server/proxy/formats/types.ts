import type { IrEvent, IrRequest, IrResponse, Obj } from './ir'

/** The four APIs Keygate converts between; the names are the channel types that speak them. */
export type ApiName = 'openai' | 'openai-response' | 'anthropic' | 'gemini'

/** What a converted request sends upstream: path, query (without `?`) and JSON body. */
export type BuiltRequest = { path: string; query: string; body: Obj }

/** Turns a provider's streamed events into IR events, one event at a time. */
export interface StreamDecoder {
  /** One server-sent event (`event:` name, '' when none, and its `data:` text). */
  event(name: string, data: string): IrEvent[]
}

/** Writes IR events as a client API's server-sent events, one event at a time. */
export interface StreamEncoder {
  encode(e: IrEvent): string
  /** Whatever closes the stream once the upstream's answer is over. */
  end(): string
}

/**
 * One API's request and answer shapes, both ways. Client side: its request → IR, and IR answers
 * → its answer and events. Channel side: IR → its request, and its answer and events → IR.
 */
export interface Format {
  readonly api: ApiName
  /** Whether `POST path` is this API's generation endpoint (the one conversions serve). */
  isGenerationPath(path: string): boolean
  /** A client's request → IR; throws ConversionError naming the field it cannot map. */
  parseRequest(path: string, query: URLSearchParams, body: Obj): IrRequest
  renderResponse(ir: IrResponse, req: IrRequest): unknown
  streamEncoder(req: IrRequest): StreamEncoder
  /** IR → the request this API's provider takes, for `model`; throws ConversionError. */
  buildRequest(ir: IrRequest, model: string): BuiltRequest
  parseResponse(json: unknown): IrResponse
  streamDecoder(): StreamDecoder
}
