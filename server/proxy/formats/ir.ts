/**
 * The internal representation every client API is converted through: a request, an answer and
 * the events of a streamed answer. Each API's folder converts its own shapes to and from these
 * types only, so an API added is one converter pair, not a path to every other API.
 */

export type IrImage =
  | { type: 'image'; source: 'base64'; mediaType: string; data: string }
  | { type: 'image'; source: 'url'; url: string }

export type IrText = { type: 'text'; text: string }
/** A tool call; `arguments` is the JSON text of the arguments object. */
export type IrToolCall = { type: 'tool_call'; id: string; name: string; arguments: string }
/** A tool's result, answering the call with the same id. */
export type IrToolResult = { type: 'tool_result'; id: string; name: string; content: string; isError: boolean }
/** Model reasoning, with the provider's signature when it has one (Anthropic needs it back). */
export type IrThinking = { type: 'thinking'; text: string; signature?: string }

export type IrPart = IrText | IrImage | IrToolCall | IrToolResult | IrThinking

export type IrMessage = { role: 'user' | 'assistant'; parts: IrPart[] }

export type IrTool = { name: string; description?: string; parameters: Record<string, unknown> }

export type IrToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string }

export type IrResponseFormat = { type: 'json' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean }

/** Reasoning asked for: an effort level, a token budget, or both (each side maps what it has). */
export type IrReasoning = { effort?: 'minimal' | 'low' | 'medium' | 'high'; budgetTokens?: number }

export type IrRequest = {
  model: string
  /** System and developer prompts, in order. */
  system: string[]
  messages: IrMessage[]
  tools: IrTool[]
  toolChoice?: IrToolChoice
  parallelToolCalls?: boolean
  maxTokens?: number
  temperature?: number
  topP?: number
  topK?: number
  stop: string[]
  responseFormat?: IrResponseFormat
  reasoning?: IrReasoning
  stream: boolean
  /** The client asked for usage in its stream (OpenAI's `stream_options.include_usage`). */
  streamUsage: boolean
  /** The client's own name for an IR field (`responseFormat` → `response_format`), so a refusal names what the client sent. */
  fields: Partial<Record<keyof IrRequest | 'image', string>>
}

/** The client's name for an IR field, for refusals. */
export const fieldOf = (ir: IrRequest, key: keyof IrRequest | 'image') => ir.fields[key] ?? key

export type IrFinish = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'stop_sequence' | 'error'

export type IrUsage = {
  /** All input tokens the model read, cached ones included. */
  inputTokens: number
  outputTokens: number
  cachedTokens: number
  reasoningTokens: number
}

export type IrResponse = {
  id: string
  model: string
  parts: (IrText | IrToolCall | IrThinking)[]
  finish: IrFinish
  usage: IrUsage | null
}

/**
 * A streamed answer as a sequence of events. Tool calls are identified by `index` (their
 * position among the answer's tool calls); `tool_start` comes once per call, `tool_args` carries
 * argument text as it arrives.
 */
export type IrEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'thinking_signature'; signature: string }
  | { type: 'tool_start'; index: number; id: string; name: string }
  | { type: 'tool_args'; index: number; text: string }
  | { type: 'usage'; usage: IrUsage }
  | { type: 'finish'; finish: IrFinish }
  /** The upstream reported an error inside its stream. */
  | { type: 'error'; message: string }

/** A request field the target API cannot express: refused with a 400 naming it. */
export class ConversionError extends Error {
  constructor(readonly field: string, reason: string) { super(`${field}: ${reason}`) }
}

export const EMPTY_USAGE: IrUsage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0 }

/** Bounds on what a converted request may carry: we re-serialise it, so hostile sizes stop here. */
export const LIMITS = { messages: 10_000, partsPerMessage: 1_000, tools: 512, stop: 16, nameLength: 256 } as const

export type Obj = Record<string, unknown>

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export function str(v: unknown, field: string, optional?: false): string
export function str(v: unknown, field: string, optional: true): string | undefined
export function str(v: unknown, field: string, optional = false): string | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined
    throw new ConversionError(field, 'is required')
  }
  if (typeof v !== 'string') throw new ConversionError(field, 'must be a string')
  return v
}

export function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConversionError(field, 'must be a number')
  return v
}

export function arr(v: unknown, field: string, max: number): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new ConversionError(field, 'must be an array')
  if (v.length > max) throw new ConversionError(field, `has more than ${max} entries`)
  return v
}

export function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new ConversionError(field, 'must be an object')
  return v
}

/** A tool or function name, bounded (it is echoed into the provider's request). */
export function toolName(v: unknown, field: string): string {
  const s = str(v, field)
  if (!s || s.length > LIMITS.nameLength) throw new ConversionError(field, `must be 1 to ${LIMITS.nameLength} characters`)
  return s
}

/** Refuses the request's fields that no converter maps (the target would silently lose them). */
export function refuseUnknown(body: Obj, known: ReadonlySet<string>, prefix = '') {
  for (const k in body) if (!known.has(k) && body[k] !== undefined && body[k] !== null) throw new ConversionError(prefix + k, 'cannot be converted to the group\'s API')
}

/** Arguments JSON text → object (a tool call's arguments must be an object for Anthropic and Gemini). */
export function parseArguments(text: string, field: string): Obj {
  if (!text.trim()) return {}
  let v: unknown
  try { v = JSON.parse(text) } catch { throw new ConversionError(field, 'is not valid JSON') }
  if (!isObj(v)) throw new ConversionError(field, 'must be a JSON object')
  return v
}

/** `data:image/png;base64,AAAA` → base64 image; any other http(s) URL → URL image. */
export function imageFromUrl(url: string, field: string): IrImage {
  if (url.startsWith('data:')) {
    const m = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s.exec(url)
    if (!m) throw new ConversionError(field, 'a data URL must be base64 (data:<type>;base64,...)')
    return { type: 'image', source: 'base64', mediaType: m[1]!, data: m[2]! }
  }
  if (!/^https?:\/\//i.test(url)) throw new ConversionError(field, 'must be an http(s) or data URL')
  return { type: 'image', source: 'url', url }
}

export const imageDataUrl = (i: Extract<IrImage, { source: 'base64' }>) => `data:${i.mediaType};base64,${i.data}`

/** The text of a tool result given as a string or as text parts. */
export function resultText(v: unknown, field: string): string {
  if (typeof v === 'string') return v
  if (v === undefined || v === null) return ''
  const parts = arr(v, field, LIMITS.partsPerMessage)
  return parts.map((p, i) => {
    if (typeof p === 'string') return p
    const o = obj(p, `${field}[${i}]`)
    if (typeof o.text === 'string') return o.text
    throw new ConversionError(`${field}[${i}].type`, `"${String(o.type)}" cannot be converted inside a tool result`)
  }).join('')
}

/** Adds a message, merging into the previous one when the role repeats (Anthropic and Gemini alternate roles). */
export function pushMessage(out: IrMessage[], role: IrMessage['role'], parts: IrPart[]) {
  if (!parts.length) return
  const last = out.at(-1)
  if (last && last.role === role) last.parts.push(...parts)
  else out.push({ role, parts })
  if (out.length > LIMITS.messages) throw new ConversionError('messages', `has more than ${LIMITS.messages} entries`)
}
