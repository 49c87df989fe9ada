import { channelInfo } from '../../../../shared/channels'
import type { GroupRow } from '../../../../shared/types/rows'
import { bearerValidation, openAiBodyRules } from '../openai/body'
import { openaiDialect } from '../openai/dialect'
import { MODELS_ENDPOINTS, RESPONSES_ENDPOINTS } from '../openai'
import { openaiKeyErrors } from '../openai/keyErrors'
import type { Channel } from '../types'

/** OpenAI's Responses API: OpenAI's auth, body conventions, errors and usage. */
export const openaiResponseChannel: Channel = {
  type: 'openai-response',
  // As strong as the openai channel's claim, so /v1/responses and /v1/models reach groups of either.
  claimUnified: path => (path === '/v1/responses' || path.startsWith('/v1/responses/') || path === '/v1/models' ? 1 : 0),
  endpoints: [...RESPONSES_ENDPOINTS, ...MODELS_ENDPOINTS],
  isModelList: path => path === '/v1/models',
  dialect: () => openaiDialect,
  ...openAiBodyRules,
  keyErrors: openaiKeyErrors,
  validationRequest: (group: GroupRow, key: string) => bearerValidation(group.validationPath || channelInfo('openai-response').validationPath, key, { model: group.testModel, input: 'hi' }),
}
