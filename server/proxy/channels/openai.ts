import type { GroupRow } from '../../../shared/types/rows'
import { bodyModel, type Channel, type JsonBody } from './types'

/** Shared by the OpenAI-shaped channels: the model and `stream` flag live in the JSON body. */
export const openAiBodyRules = {
  model: (_path: string, body: JsonBody | null) => bodyModel(body),
  setModel(path: string, body: JsonBody | null, model: string) {
    if (body) body.model = model
    return path
  },
  isStream: (_path: string, _query: URLSearchParams, body: JsonBody | null) => body?.stream === true,
  setKey(headers: Record<string, string>, key: string) { headers.authorization = `Bearer ${key}` },
}

export const openaiChannel: Channel = {
  type: 'openai',
  flavour: 'openai',
  ...openAiBodyRules,
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: group.testModel, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
    }
  },
}
