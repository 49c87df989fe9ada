import { LastUsageTap, num, scanKey, type Usage, type UsageObject } from '../../usage'
import type { Dialect } from '../types'

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 408: 'DEADLINE_EXCEEDED', 413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
}

function errorBody(status: number, message: string) {
  return { error: { code: status, message, status: STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } }
}

const USAGE_METADATA = scanKey('usageMetadata')

/** `usageMetadata`; thinking tokens are billed as output, so they count as completion. */
function usageFromGemini(o: UsageObject): Usage | undefined {
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

/** Gemini's native API as its SDKs speak it. */
export const geminiDialect: Dialect = {
  errorBody: (status, message) => errorBody(status, message),
  streamErrorEvent: message => `data: ${JSON.stringify(errorBody(502, message))}\n\n`,
  modelList(models) {
    return { models: models.map(id => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] })) }
  },
  usageTap: () => new LastUsageTap(USAGE_METADATA, usageFromGemini),
}
