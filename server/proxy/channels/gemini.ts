import type { GroupRow } from '../../../shared/types/rows'
import { openAiBodyRules } from './openai'
import type { Channel } from './types'

/** `/v1beta/models/gemini-pro:generateContent` → model `gemini-pro`, method `generateContent`. */
const MODEL_IN_PATH = /^(.*\/models\/)([^/:]+)(:[A-Za-z]+)?$/

/** Gemini's OpenAI-compatible mode (`/v1beta/openai/...`): Bearer auth, model in the body. */
export const isGeminiOpenAiPath = (path: string) => /^\/v1(beta)?\/openai\//.test(path)

export const geminiChannel: Channel = {
  type: 'gemini',
  flavour: 'gemini',
  model(path, body) {
    if (isGeminiOpenAiPath(path)) return openAiBodyRules.model(path, body)
    const m = MODEL_IN_PATH.exec(path)
    return m ? decodeURIComponent(m[2]!) : ''
  },
  setModel(path, body, model) {
    if (isGeminiOpenAiPath(path)) return openAiBodyRules.setModel(path, body, model)
    const m = MODEL_IN_PATH.exec(path)
    return m ? `${m[1]}${encodeURIComponent(model)}${m[3] ?? ''}` : path
  },
  isStream(path, query, body) {
    if (isGeminiOpenAiPath(path)) return body?.stream === true
    return path.endsWith(':streamGenerateContent') || query.get('alt') === 'sse'
  },
  setKey(headers, key, path) {
    if (isGeminiOpenAiPath(path)) headers.authorization = `Bearer ${key}`
    else headers['x-goog-api-key'] = key
  },
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || `/v1beta/models/${encodeURIComponent(group.testModel)}:generateContent`,
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    }
  },
}
