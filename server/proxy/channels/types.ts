import type { ChannelType, GroupRow } from '../../../shared/types/rows'

/** Which provider's API a caller speaks: decides the shape of our own error bodies. */
export type ApiFlavour = 'openai' | 'anthropic' | 'gemini'

/** A JSON request body, parsed once; mutated in place when a redirect or override changes it. */
export type JsonBody = Record<string, unknown>

/** What a validation sends upstream (path relative to the upstream base URL). */
export type ValidationRequest = { method: 'POST'; path: string; headers: Record<string, string>; body: string }

/**
 * One module per channel type. Everything that differs between providers lives behind this,
 * so the engine itself never branches on the channel.
 */
export interface Channel {
  readonly type: ChannelType
  readonly flavour: ApiFlavour
  /** The model a request asks for ('' when it names none). */
  model(path: string, body: JsonBody | null): string
  /** Points the request at another model; returns the (possibly new) path. Mutates `body`. */
  setModel(path: string, body: JsonBody | null, model: string): string
  /** Whether the answer will be a stream of server-sent events. */
  isStream(path: string, query: URLSearchParams, body: JsonBody | null): boolean
  /** Puts the upstream key on the outgoing headers, the way this provider expects it. */
  setKey(headers: Record<string, string>, key: string, path: string): void
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
