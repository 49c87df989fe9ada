import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Channel, Dialect } from './channels'
import { ProxyError, sendError } from './errors'
import { ConversionError, convertibleApi, formatOf, type ApiName, type BuiltRequest, type Format, type IrRequest } from './formats'
import { bodyConverter, streamConverter } from './formats/stream'
import { first } from './channels/types'
import { redirectOf, type PreparedRequest } from './prepare'
import { redactSecret, upstreamErrorMessage } from './redact'
import type { GroupRuntime } from './registry'

/**
 * A unified-route request that may go to groups of another API: the client's request in IR,
 * parsed once, and the channels that serve it natively (their groups get the client's bytes).
 */
export type Conversion = { client: Format; ir: IrRequest; native: readonly Channel[] }

export { convertibleApi }

/** The API the client speaks, for the log: exact for the four generation APIs, else the channel's. */
export function clientApiOf(method: string, path: string, channel: Channel | undefined): string {
  if (method === 'POST') {
    if (path.endsWith('/chat/completions')) return 'openai'
    if (path.endsWith('/responses')) return 'openai-response'
    if (path.endsWith('/messages')) return 'anthropic'
    if (/:(generateContent|streamGenerateContent)$/.test(path)) return 'gemini'
  }
  return channel?.type ?? ''
}

/** Whether the unified route may send this request to `g` by converting it. */
export function reachableByConversion(api: ApiName | null, g: GroupRuntime, native: readonly Channel[]): boolean {
  return api !== null && g.row.acceptsConversions && !native.includes(g.channel) && formatOf(g.channel.type) !== undefined
}

/** Same priority: a group of the client's own API goes first (no conversion), the order is otherwise kept. */
export function preferNative(groups: GroupRuntime[], native: readonly Channel[]): GroupRuntime[] {
  const rank = (g: GroupRuntime) => (native.includes(g.channel) ? 0 : 1)
  return groups.map((g, i) => ({ g, i }))
    .sort((a, b) => a.g.row.priority - b.g.row.priority || rank(a.g) - rank(b.g) || a.i - b.i)
    .map(x => x.g)
}

function refusal(e: ConversionError) {
  return new ProxyError(400, `this request cannot be converted for the group serving its model: ${e.message}`, 'unsupported_conversion')
}

/**
 * Parses the client's request once and checks it against each API the candidates need: a
 * candidate whose API cannot take it is dropped; none left is a 400 naming the field, before any
 * upstream call. Returns the candidates left and the conversion (null when none is converted).
 */
export function planConversion(
  api: ApiName, path: string, query: URLSearchParams, json: Record<string, unknown> | null,
  native: readonly Channel[], candidates: GroupRuntime[],
):
{ candidates: GroupRuntime[]; conversion: Conversion | null } {
  const converted = candidates.filter(g => !native.includes(g.channel))
  if (!converted.length) return { candidates, conversion: null }
  const client = formatOf(api)!
  let ir: IrRequest
  let firstError: ConversionError | null = null
  const keepNative = () => {
    const left = candidates.filter(g => native.includes(g.channel))
    if (!left.length) throw refusal(firstError!)
    return { candidates: left, conversion: null }
  }
  try {
    if (!json) throw new ConversionError('body', 'must be a JSON object')
    ir = client.parseRequest(path, query, json)
  } catch (e) {
    if (!(e instanceof ConversionError)) throw e
    firstError = e
    return keepNative()
  }
  const verdict = new Map<string, boolean>()
  const left = candidates.filter((g) => {
    if (native.includes(g.channel)) return true
    let ok = verdict.get(g.channel.type)
    if (ok === undefined) {
      try { formatOf(g.channel.type)!.buildRequest(ir, ir.model); ok = true } catch (e) {
        if (!(e instanceof ConversionError)) throw e
        firstError ??= e
        ok = false
      }
      verdict.set(g.channel.type, ok)
    }
    return ok
  })
  if (!left.length) throw refusal(firstError!)
  return { candidates: left, conversion: left.some(g => !native.includes(g.channel)) ? { client, ir, native } : null }
}

/** The target's API when this attempt converts, else null (the client's bytes go as they are). */
export function conversionFor(conv: Conversion | null, target: GroupRuntime): Format | null {
  if (!conv || conv.native.includes(target.channel)) return null
  const f = formatOf(target.channel.type)
  if (!f) throw new ProxyError(400, `group ${target.row.name} speaks ${target.channel.type}, which cannot be converted to`, 'unsupported_conversion')
  return f
}

/**
 * A converted attempt: the group's model redirect and overrides applied to the request built for
 * its API, and the converter its answer goes through.
 */
export function prepareConverted(conv: Conversion, target: GroupRuntime, channelFormat: Format): PreparedRequest {
  const row = target.row
  const model = conv.ir.model
  const redirect = redirectOf(row.modelRedirects, model)
  if (redirect === undefined && row.modelRedirectStrict) throw new ProxyError(400, `model "${model}" is not available in group ${row.name}`, 'model_not_found')
  const upstreamModel = redirect ?? model
  let built: BuiltRequest
  try { built = channelFormat.buildRequest(conv.ir, upstreamModel) } catch (e) {
    if (e instanceof ConversionError) throw refusal(e)
    throw e
  }
  const overrides = row.paramOverrides
  if (overrides && Object.keys(overrides).length) Object.assign(built.body, overrides)
  const { client, ir } = conv
  return {
    path: built.path, query: built.query, body: Buffer.from(JSON.stringify(built.body)),
    model, upstreamModel, stream: ir.stream, injectedUsage: false,
    answer: () => (ir.stream
      ? streamConverter(channelFormat.streamDecoder(), client.streamEncoder(ir))
      : bodyConverter(channelFormat.parseResponse, client.renderResponse, ir)),
  }
}

/** Headers the provider of another API would not understand, or that belong to the client's provider, stay here. */
const KEPT = ['user-agent']

/** Request headers of a converted attempt: ours, and only neutral ones of the client's. */
export function convertedHeaders(base: Record<string, string>, stream: boolean): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', 'accept': stream ? 'text/event-stream' : 'application/json', 'accept-encoding': 'identity' }
  for (const k of KEPT) if (base[k] !== undefined) out[k] = base[k]
  return out
}

/** An upstream refusal of a converted request, in the client's error shape (its message kept, our key scrubbed). */
export function sendConvertedFailure(
  res: ServerResponse, dialect: Dialect, status: number, headers: IncomingHttpHeaders, text: string, secret: string,
) {
  const message = redactSecret(upstreamErrorMessage(text), secret) || `upstream answered HTTP ${status}`
  const ra = Number(first(headers['retry-after']))
  sendError(res, dialect, new ProxyError(status, message, 'upstream_error', Number.isFinite(ra) && ra > 0 ? ra : undefined))
}
