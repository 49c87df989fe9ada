import { channelInfo } from '../../../../shared/channels'
import type { GroupRow } from '../../../../shared/types/rows'
import { openAiBodyRules } from '../openai/body'
import type { Channel } from '../types'
import { anthropicDialect } from './dialect'
import { anthropicKeyErrors } from './keyErrors'

/** The version we send only when the client sent none (validation, old clients). */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01'

/** The Messages API and the model list (no message batches, files or admin API). */
const ANTHROPIC_ENDPOINTS = ['POST /v1/messages', 'POST /v1/messages/count_tokens', 'GET /v1/models', 'GET /v1/models/*']

const isMessagesPath = (path: string) => path === '/v1/messages' || path.startsWith('/v1/messages/')
const JSON_ENDPOINTS = ['/messages', '/messages/count_tokens', '/complete']

/** Anthropic's Messages API: the model in the body, the key in `x-api-key`. */
export const anthropicChannel: Channel = {
  type: 'anthropic',
  // More specific than the openai channel's /v1/: Anthropic's SDK lists models on OpenAI's path
  // too, and always sends anthropic-version.
  claimUnified: (path, headers) => (isMessagesPath(path) || (path === '/v1/models' && headers['anthropic-version']) ? 2 : 0),
  endpoints: ANTHROPIC_ENDPOINTS,
  isModelList: path => path === '/v1/models',
  dialect: () => anthropicDialect,
  jsonEndpoint: path => JSON_ENDPOINTS.some(e => path.endsWith(e)),
  model: openAiBodyRules.model,
  setModel: openAiBodyRules.setModel,
  isStream: openAiBodyRules.isStream,
  setKey(headers, key) {
    headers['x-api-key'] = key
    // The client's anthropic-version passes through; the API refuses requests without one.
    if (!headers['anthropic-version']) headers['anthropic-version'] = DEFAULT_ANTHROPIC_VERSION
  },
  keyErrors: anthropicKeyErrors,
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || channelInfo('anthropic').validationPath,
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': DEFAULT_ANTHROPIC_VERSION },
      body: JSON.stringify({ model: group.testModel, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    }
  },
}
