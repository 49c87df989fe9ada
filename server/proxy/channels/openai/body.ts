import { bodyModel, type Channel, type JsonBody } from '../types'

/** OpenAI's endpoints that take a JSON body (the multipart ones, audio transcription and image edits, do not). */
const JSON_ENDPOINTS = ['/chat/completions', '/completions', '/embeddings', '/responses', '/responses/input_tokens', '/images/generations', '/moderations', '/audio/speech']

/** The OpenAI-shaped conventions: model and `stream` flag in the JSON body, the key as a Bearer token. */
export const openAiBodyRules = {
  jsonEndpoint: (path: string) => JSON_ENDPOINTS.some(e => path.endsWith(e)),
  model: (_path: string, body: JsonBody | null) => bodyModel(body),
  setModel(path: string, body: JsonBody | null, model: string) {
    if (body) body.model = model
    return path
  },
  isStream: (_path: string, _query: URLSearchParams, body: JsonBody | null) => body?.stream === true,
  setKey(headers: Record<string, string>, key: string) { headers.authorization = `Bearer ${key}` },
} satisfies Partial<Channel>

export function bearerValidation(path: string, key: string, body: unknown) {
  return { method: 'POST' as const, path, headers: { 'content-type': 'application/json', 'authorization': `Bearer ${key}` }, body: JSON.stringify(body) }
}
