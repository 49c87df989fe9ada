import type { ChannelType } from '../../../shared/types/rows'
import { JsonObjectScanner } from './jsonObjectScanner'
import { fromAnthropic, fromGemini, fromOpenAI, mergeAnthropic, type AnthropicParts } from './normalize'

export { createInjectedUsageStripper } from './injectedUsageStripper'

export type Usage = { promptTokens: number; completionTokens: number; cachedTokens: number }

/** The proxy feeds every upstream body chunk to `push` as it forwards it, then calls `finish` once. */
export interface UsageTap {
  push(chunk: Buffer): void
  finish(): Usage | null
}

export type UsageFormat = 'openai' | 'openai-response' | 'anthropic' | 'gemini'

/**
 * A token-usage reader for one upstream response. It never holds the body: it searches each chunk
 * for the provider's usage key and parses only that small object (see JsonObjectScanner), so
 * plain JSON bodies, SSE streams and Gemini's streamed JSON arrays are read the same way and a
 * 10 MB body costs a native byte search, not a copy and a JSON.parse.
 *
 * `format` overrides the channel's wire format: a `gemini` group in `/v1beta/openai` mode speaks
 * OpenAI. `stream` is accepted for symmetry with the proxy's call site; the reading is the same.
 */
export function createUsageTap(channel: ChannelType, opts: { stream: boolean; format?: UsageFormat }): UsageTap {
  const format = opts.format ?? channel
  return format === 'anthropic' ? new AnthropicTap() : new LastUsageTap(format === 'gemini')
}

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(json) as unknown
    return v && typeof v === 'object' ? v as Record<string, unknown> : undefined
  } catch { return undefined }
}

/** OpenAI, Responses and Gemini: usage objects are cumulative (or sent once), so the last one wins. */
class LastUsageTap extends JsonObjectScanner implements UsageTap {
  private usage: Usage | null = null

  constructor(private readonly gemini: boolean) {
    super(gemini ? 'usageMetadata' : 'usage')
  }

  protected onObject(json: string) {
    const o = parseObject(json)
    const u = o && (this.gemini ? fromGemini(o) : fromOpenAI(o))
    if (u) this.usage = u
  }

  finish(): Usage | null { return this.usage }
}

/** Anthropic streams spread usage over `message_start` and `message_delta`: merged. */
class AnthropicTap extends JsonObjectScanner implements UsageTap {
  private readonly counts: AnthropicParts = {}
  private seen = false

  constructor() { super('usage') }

  protected onObject(json: string) {
    const o = parseObject(json)
    if (o && mergeAnthropic(this.counts, o)) this.seen = true
  }

  finish(): Usage | null { return this.seen ? fromAnthropic(this.counts) : null }
}
