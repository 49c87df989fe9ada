import { num, scanKey, UsageScanner, type Usage, type UsageObject } from '../../usage'
import type { Dialect } from '../types'

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 529: 'overloaded_error',
}

function errorBody(status: number, message: string) {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } }
}

const USAGE = scanKey('usage')

type Parts = { input?: number; cacheWrite?: number; cacheRead?: number; output?: number }

/**
 * Anthropic reports the uncached input, the cache writes and the cache reads separately; the log's
 * `promptTokens` is all the input the model read, so they are added up. Streams report usage twice,
 * in `message_start` (input and cache counts) and `message_delta` (cumulative output, sometimes
 * input again): later values win, part by part.
 */
class AnthropicUsageTap extends UsageScanner {
  private readonly parts: Parts = {}
  private seen = false

  constructor() { super(USAGE) }

  protected onUsage(o: UsageObject) {
    const input = num(o.input_tokens)
    const output = num(o.output_tokens)
    if (input === undefined && output === undefined) return
    this.seen = true
    const p = this.parts
    if (input !== undefined) p.input = input
    if (output !== undefined) p.output = output
    p.cacheWrite = num(o.cache_creation_input_tokens) ?? p.cacheWrite
    p.cacheRead = num(o.cache_read_input_tokens) ?? p.cacheRead
  }

  finish(): Usage | null {
    if (!this.seen) return null
    const p = this.parts
    const cacheRead = p.cacheRead ?? 0
    const cacheWrite = p.cacheWrite ?? 0
    return {
      promptTokens: (p.input ?? 0) + cacheWrite + cacheRead, completionTokens: p.output ?? 0,
      cachedTokens: cacheRead, cacheWriteTokens: cacheWrite,
    }
  }
}

/** Anthropic's Messages API as its SDKs speak it. */
export const anthropicDialect: Dialect = {
  errorBody: (status, message) => errorBody(status, message),
  streamErrorEvent: message => `event: error\ndata: ${JSON.stringify(errorBody(502, message))}\n\n`,
  modelList(models) {
    const data = models.map(id => ({ type: 'model', id, display_name: id, created_at: '2024-01-01T00:00:00Z' }))
    return { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null }
  },
  usageTap: () => new AnthropicUsageTap(),
}
