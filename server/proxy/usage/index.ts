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
  let usage: Usage | null = null
  let scanner: JsonObjectScanner

  const parse = (json: string): Record<string, unknown> | undefined => {
    try {
      const v = JSON.parse(json) as unknown
      return v && typeof v === 'object' ? v as Record<string, unknown> : undefined
    } catch { return undefined }
  }

  if (format === 'anthropic') {
    const parts: AnthropicParts = {}
    let seen = false
    scanner = new JsonObjectScanner('usage', (json) => {
      const o = parse(json)
      if (o && mergeAnthropic(parts, o)) seen = true
    })
    return {
      push: chunk => scanner.push(chunk),
      finish: () => seen ? fromAnthropic(parts) : null,
    }
  }

  // Usage objects are cumulative (or sent once), so the last one seen is the answer.
  const [key, read] = format === 'gemini' ? ['usageMetadata', fromGemini] as const : ['usage', fromOpenAI] as const
  scanner = new JsonObjectScanner(key, (json) => {
    const o = parse(json)
    const u = o && read(o)
    if (u) usage = u
  })
  return {
    push: chunk => scanner.push(chunk),
    finish: () => usage,
  }
}
