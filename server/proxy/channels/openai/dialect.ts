import { LastUsageTap, nested, num, scanKey, type Usage, type UsageObject } from '../../usage'
import type { Dialect } from '../types'

const USAGE = scanKey('usage')

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'invalid_request_error', 403: 'permission_error', 404: 'invalid_request_error',
  413: 'invalid_request_error', 429: 'rate_limit_exceeded', 499: 'client_closed_request',
}

/**
 * Chat Completions (`prompt_tokens`) and Responses (`input_tokens`) usage: OpenAI-channel groups
 * serve both. `promptTokens` includes the cached part, as OpenAI counts it.
 */
export function usageFromOpenAI(o: UsageObject): Usage | undefined {
  const prompt = num(o.prompt_tokens) ?? num(o.input_tokens)
  const completion = num(o.completion_tokens) ?? num(o.output_tokens)
  if (prompt === undefined && completion === undefined) return undefined
  const cached = nested(o.prompt_tokens_details, 'cached_tokens')
    ?? nested(o.input_tokens_details, 'cached_tokens')
    ?? num(o.prompt_cache_hit_tokens) // DeepSeek-style OpenAI-compatible upstreams
    ?? 0
  return { promptTokens: prompt ?? 0, completionTokens: completion ?? 0, cachedTokens: cached }
}

/** OpenAI's API as its SDKs speak it (also Gemini's OpenAI mode and every OpenAI-compatible upstream). */
export const openaiDialect: Dialect = {
  errorBody(status, message, code) {
    return { error: { message, type: ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), code: code ?? null } }
  },
  streamErrorEvent(message) {
    return `data: ${JSON.stringify({ error: { message, type: 'server_error', code: 'upstream_stream_error' } })}\n\n`
  },
  modelList(models) {
    return { object: 'list', data: models.map(id => ({ id, object: 'model', created: 0, owned_by: 'keygate' })) }
  },
  usageTap: () => new LastUsageTap(USAGE, usageFromOpenAI),
}
