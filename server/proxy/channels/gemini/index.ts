import { channelInfo } from '../../../../shared/channels'
import type { GroupRow } from '../../../../shared/types/rows'
import { openAiBodyRules } from '../openai/body'
import { openaiDialect } from '../openai/dialect'
import type { Channel } from '../types'
import { geminiDialect } from './dialect'
import { geminiKeyErrors } from './keyErrors'

/** `/v1beta/models/gemini-pro:generateContent` → model `gemini-pro`, method `generateContent`. */
const MODEL_IN_PATH = /^(.*\/models\/)([^/:]+)(:[A-Za-z]+)?$/

/** Gemini's OpenAI-compatible mode (`/v1beta/openai/...`): OpenAI's API with Bearer auth. */
const isOpenAiMode = (path: string) => /^\/v1(beta)?\/openai\//.test(path)

/**
 * Generation, token counting, embeddings and the model list, native (v1 and v1beta) and in the
 * OpenAI mode; no files, caches, tuned models, batches or corpora.
 */
const GEMINI_ENDPOINTS = [
  ...['v1', 'v1beta'].flatMap(v => [
    ...['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents'].map(m => `POST /${v}/models/*:${m}`),
    `GET /${v}/models`, `GET /${v}/models/*`,
  ]),
  'POST /v1beta/openai/chat/completions', 'POST /v1beta/openai/embeddings', 'POST /v1beta/openai/images/generations',
  'GET /v1beta/openai/models', 'GET /v1beta/openai/models/*',
]

/** Gemini's native API, and its OpenAI mode. */
export const geminiChannel: Channel = {
  type: 'gemini',
  claimUnified: path => (path.startsWith('/v1beta/') ? 1 : 0),
  endpoints: GEMINI_ENDPOINTS,
  isModelList: path => path === '/v1beta/models' || path === '/v1beta/openai/models',
  dialect: path => (isOpenAiMode(path) ? openaiDialect : geminiDialect),
  // Native: every `models/{model}:{method}` call (generateContent, countTokens, embedContent…).
  jsonEndpoint: path => (isOpenAiMode(path) ? openAiBodyRules.jsonEndpoint(path) : MODEL_IN_PATH.exec(path)?.[3] !== undefined),
  model(path, body) {
    if (isOpenAiMode(path)) return openAiBodyRules.model(path, body)
    const m = MODEL_IN_PATH.exec(path)
    return m ? decodeURIComponent(m[2]!) : ''
  },
  setModel(path, body, model) {
    if (isOpenAiMode(path)) return openAiBodyRules.setModel(path, body, model)
    const m = MODEL_IN_PATH.exec(path)
    return m ? `${m[1]}${encodeURIComponent(model)}${m[3] ?? ''}` : path
  },
  isStream(path, query, body) {
    if (isOpenAiMode(path)) return body?.stream === true
    return path.endsWith(':streamGenerateContent') || query.get('alt') === 'sse'
  },
  setKey(headers, key, path) {
    if (isOpenAiMode(path)) headers.authorization = `Bearer ${key}`
    else headers['x-goog-api-key'] = key
  },
  keyErrors: geminiKeyErrors,
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || channelInfo('gemini').validationPath.replace('{model}', encodeURIComponent(group.testModel)),
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    }
  },
}
