import type { Transform } from 'node:stream'
import type { Channel, JsonBody } from './channels'
import { ProxyError } from './errors'
import type { GroupRuntime } from './registry'

export type PreparedRequest = {
  path: string
  /** Body to send: the client's bytes unless something changed it. */
  body: Buffer
  model: string
  upstreamModel: string
  stream: boolean
  /** We asked for usage in a stream whose client did not (channel.streamUsage): strip it again. */
  injectedUsage: boolean
  /** Converted requests: the query to send instead of the client's, and the converter of the answer. */
  query?: string
  answer?: () => Transform
}

/**
 * Applies the group's model redirect and parameter overrides. The body is re-serialised only
 * when one of them (or our stream_options for usage) changed it; otherwise the client's own
 * bytes go out. `json` is a private copy per group when it may be mutated.
 */
/**
 * The model a group redirects `model` to, if it does. Own keys only: the redirects are a plain
 * object from JSON, and a client naming its model `constructor` or `__proto__` must not get
 * Object's prototype members as a target.
 */
export function redirectOf(redirects: Record<string, string> | null | undefined, model: string): string | undefined {
  return redirects && Object.hasOwn(redirects, model) ? redirects[model] : undefined
}

export function prepareRequest(
  g: GroupRuntime,
  channel: Channel,
  path: string,
  query: URLSearchParams,
  raw: Buffer,
  json: JsonBody | null,
): PreparedRequest {
  const row = g.row
  const model = channel.model(path, json)
  let upstreamModel = model
  let changed = false
  let body = json
  const target = model ? redirectOf(row.modelRedirects, model) : undefined
  if (target !== undefined) {
    upstreamModel = target
  } else if (row.modelRedirectStrict) {
    if (!model) throw new ProxyError(403, `group ${row.name} serves only its redirected models and this request names no model`, 'model_required')
    throw new ProxyError(400, `model "${model}" is not available in group ${row.name}`, 'model_not_found')
  }
  const overrides = row.paramOverrides
  const hasOverrides = !!overrides && Object.keys(overrides).length > 0
  const stream = channel.isStream(path, query, json)
  const streamUsage = channel.streamUsage
  const wantUsage = stream && body !== null && !!streamUsage && streamUsage.wanted(path, body)
  if (body && (upstreamModel !== model || hasOverrides || wantUsage)) body = structuredClone(body)
  if (upstreamModel !== model) {
    // Gemini's native API names the model in the path; the others in the body.
    const inBody = channel.model(path, null) === ''
    path = channel.setModel(path, body, upstreamModel)
    changed = inBody && body !== null
  }
  if (body && hasOverrides) { Object.assign(body, overrides); changed = true }
  if (body && wantUsage) {
    streamUsage!.add(body)
    changed = true
  }
  return {
    path,
    body: changed && body ? Buffer.from(JSON.stringify(body)) : raw,
    model, upstreamModel, stream, injectedUsage: wantUsage,
  }
}
