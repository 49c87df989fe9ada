import { anthropicFormat } from './anthropic'
import { geminiFormat } from './gemini'
import { openaiFormat } from './openai'
import { responsesFormat } from './responses'
import type { ApiName, Format } from './types'

export type { ApiName, BuiltRequest, Format } from './types'
export { ConversionError } from './ir'
export type { IrRequest } from './ir'

/** The registry: one line per API. */
const FORMATS: Partial<Record<string, Format>> = {
  'openai': openaiFormat,
  'openai-response': responsesFormat,
  'anthropic': anthropicFormat,
  'gemini': geminiFormat,
}

export function formatOf(api: string): Format | undefined {
  return FORMATS[api]
}

/** The API a unified-route request speaks, when it is a generation call we can convert (else null). */
export function convertibleApi(method: string, path: string): ApiName | null {
  if (method !== 'POST') return null
  for (const f of Object.values(FORMATS)) if (f!.isGenerationPath(path)) return f!.api
  return null
}
