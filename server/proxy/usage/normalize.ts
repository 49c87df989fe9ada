import type { Usage } from './index'

/**
 * Provider usage objects → the log's three numbers. `promptTokens` is always the whole input the
 * model read, cached part included (OpenAI's and Gemini's own meaning; Anthropic reports the
 * uncached, cache-write and cache-read parts separately, so they are added up). `cachedTokens`
 * is the part of the prompt served from the provider's cache.
 */

type Obj = Record<string, unknown>

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function nested(o: unknown, key: string): number | undefined {
  return o && typeof o === 'object' ? num((o as Obj)[key]) : undefined
}

/** Chat Completions (`prompt_tokens`) and Responses (`input_tokens`) shapes: an OpenAI-channel group serves both. */
export function fromOpenAI(o: Obj): Usage | undefined {
  const prompt = num(o.prompt_tokens) ?? num(o.input_tokens)
  const completion = num(o.completion_tokens) ?? num(o.output_tokens)
  if (prompt === undefined && completion === undefined) return undefined
  const cached = nested(o.prompt_tokens_details, 'cached_tokens')
    ?? nested(o.input_tokens_details, 'cached_tokens')
    ?? num(o.prompt_cache_hit_tokens) // DeepSeek-style OpenAI-compatible upstreams
    ?? 0
  return { promptTokens: prompt ?? 0, completionTokens: completion ?? 0, cachedTokens: cached }
}

export type AnthropicParts = { input?: number; cacheWrite?: number; cacheRead?: number; output?: number }

/**
 * Anthropic streams report usage twice: `message_start` (input and cache counts) and
 * `message_delta` (cumulative output, sometimes cumulative input too). Later non-null values win.
 * Returns false when the object is not an Anthropic usage object.
 */
export function mergeAnthropic(into: AnthropicParts, o: Obj): boolean {
  const input = num(o.input_tokens)
  const output = num(o.output_tokens)
  if (input === undefined && output === undefined) return false
  if (input !== undefined) into.input = input
  if (output !== undefined) into.output = output
  const write = num(o.cache_creation_input_tokens)
  const read = num(o.cache_read_input_tokens)
  if (write !== undefined) into.cacheWrite = write
  if (read !== undefined) into.cacheRead = read
  return true
}

export function fromAnthropic(p: AnthropicParts): Usage {
  const cacheRead = p.cacheRead ?? 0
  return {
    promptTokens: (p.input ?? 0) + (p.cacheWrite ?? 0) + cacheRead,
    completionTokens: p.output ?? 0,
    cachedTokens: cacheRead,
  }
}

/** Gemini `usageMetadata`; thinking tokens are billed as output, so they count as completion. */
export function fromGemini(o: Obj): Usage | undefined {
  const prompt = num(o.promptTokenCount)
  const candidates = num(o.candidatesTokenCount)
  const thoughts = num(o.thoughtsTokenCount)
  if (prompt === undefined && candidates === undefined && thoughts === undefined) return undefined
  return {
    promptTokens: prompt ?? 0,
    completionTokens: (candidates ?? 0) + (thoughts ?? 0),
    cachedTokens: num(o.cachedContentTokenCount) ?? 0,
  }
}
