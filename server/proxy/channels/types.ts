import type { IncomingHttpHeaders } from 'node:http'
import type { Transform } from 'node:stream'
import type { ChannelType, GroupRow } from '../../../shared/types/rows'
import type { UsageTap } from '../usage'

/** A JSON request body, parsed once; mutated in place when a redirect or override changes it. */
export type JsonBody = Record<string, unknown>

/** What a validation sends upstream (path relative to the upstream base URL). */
export type ValidationRequest = { method: 'POST'; path: string; headers: Record<string, string>; body: string }

export type ResponseHeaders = IncomingHttpHeaders | Record<string, string | string[] | undefined>

/**
 * A wire format as a client speaks it: the shape of our own errors, of the event that ends a
 * broken stream, of the model list, and where the answer carries its token usage.
 */
export interface Dialect {
  /** Our own error body, in the shape this API's SDKs parse. */
  errorBody(status: number, message: string, code?: string): unknown
  /** The last event of a stream whose upstream died mid-way. */
  streamErrorEvent(message: string): string
  /** The model list in the shape the SDK's `models.list()` parses. */
  modelList(models: string[]): unknown
  /** A fresh token-usage reader for one answer. */
  usageTap(): UsageTap
}

/**
 * What a provider's structured error says about a refusal:
 * - `key`: it names our key or its account (invalid, expired, suspended, out of credit)
 * - `throttled`: a rate limit or quota that passes (besides any 429)
 * - `other`: a structured error about something else (the request, a model, a header)
 * - `unstructured`: no provider error object to read (empty body, HTML, plain text)
 */
export type ErrorReading = 'key' | 'throttled' | 'other' | 'unstructured'

/**
 * How a provider says that the key itself is at fault, or throttled. Read from the fields the
 * provider sets itself (codes, types, reasons), never by searching the body: error messages echo
 * what the client sent.
 */
export interface KeyErrorRules {
  /** Reads a refusal; `body` is its parsed JSON, null when it was not JSON. */
  read(status: number, body: unknown): ErrorReading
  /** The reset time the provider announces (headers or error body), or null when it names none. */
  resetTime(headers: ResponseHeaders, body: unknown, now: number): number | null
}

/**
 * The OpenAI chat trick: ask for usage in a stream whose client did not, so tokens are logged,
 * and strip that extra chunk again on the way back.
 */
export interface StreamUsageRequest {
  wanted(path: string, body: JsonBody): boolean
  add(body: JsonBody): void
  stripper(): Transform
}

/**
 * One folder per channel type (server/proxy/channels/<type>/). Everything that differs between
 * providers lives behind this interface, so the engine itself never branches on a channel.
 */
export interface Channel {
  readonly type: ChannelType
  /**
   * Unified routes: how strongly this channel claims a request for `path` (0: not at all). The
   * highest claim wins and equal claims share the request (`/v1/responses`: Responses and Chat
   * groups alike).
   */
  claimUnified(path: string, headers: IncomingHttpHeaders): number
  /**
   * The endpoints a consumer may reach, as `"METHOD /path-pattern"` (shared/endpoints.ts): the
   * inference API only, so a shared key never reaches files, batches, fine-tuning or account
   * endpoints unless a group's `allowedPaths` says so.
   */
  readonly endpoints: readonly string[]
  /** Unified routes: whether a GET of `path` is this API's model list. */
  isModelList(path: string): boolean
  /** The dialect spoken on `path` (Gemini's `/v1beta/openai/…` speaks OpenAI's). */
  dialect(path: string): Dialect
  /**
   * Whether a POST to `path` is one of this API's JSON endpoints (generation, embeddings, token
   * counts): its body must be a JSON object, else 400. Other bodies pass through untouched.
   */
  jsonEndpoint(path: string): boolean
  /** The model a request asks for ('' when it names none). */
  model(path: string, body: JsonBody | null): string
  /** Points the request at another model; returns the (possibly new) path. Mutates `body`. */
  setModel(path: string, body: JsonBody | null, model: string): string
  /** Whether the answer will be a stream of server-sent events. */
  isStream(path: string, query: URLSearchParams, body: JsonBody | null): boolean
  /** Puts the upstream key on the outgoing headers, the way this provider expects it. */
  setKey(headers: Record<string, string>, key: string, path: string): void
  readonly keyErrors: KeyErrorRules
  readonly streamUsage?: StreamUsageRequest
  /** The request a validation sends: what GPT-Load sends for this channel. */
  validationRequest(group: GroupRow, key: string): ValidationRequest
}

/** `https://host/base` + `/v1/x` → `https://host/base/v1/x` (no doubled slashes). */
export function joinUrl(base: string, path: string, query = ''): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base
  const p = path.startsWith('/') ? path : `/${path}`
  return query ? `${b}${p}?${query}` : `${b}${p}`
}

export const bodyModel = (body: JsonBody | null): string =>
  body && typeof body.model === 'string' ? body.model : ''

/** The `error` object of a provider error body (`{error}` or Gemini's OpenAI-mode `[{error}]`), else null. */
export function errorObject(body: unknown): Record<string, unknown> | null {
  const root = Array.isArray(body) ? body[0] : body
  const e = typeof root === 'object' && root !== null ? (root as Record<string, unknown>).error : undefined
  return typeof e === 'object' && e !== null && !Array.isArray(e) ? e as Record<string, unknown> : null
}

export const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
