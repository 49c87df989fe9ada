import { channelInfo } from '../../../../shared/channels'
import type { GroupRow } from '../../../../shared/types/rows'
import type { Channel, JsonBody, StreamUsageRequest } from '../types'
import { bearerValidation, openAiBodyRules } from './body'
import { openaiDialect } from './dialect'
import { openaiKeyErrors } from './keyErrors'
import { createInjectedUsageStripper } from './streamUsage'

/** Chat completions streams report usage only when asked: we ask, log it, and hide it again. */
const chatStreamUsage: StreamUsageRequest = {
  wanted: (path, body) => path.endsWith('/chat/completions') && !(body.stream_options as { include_usage?: boolean } | undefined)?.include_usage,
  add(body: JsonBody) { body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true } },
  stripper: createInjectedUsageStripper,
}

/** The Responses API: create, and read, cancel, delete or list the input of a stored response. */
export const RESPONSES_ENDPOINTS = [
  'POST /v1/responses', 'POST /v1/responses/input_tokens', 'GET /v1/responses/*', 'DELETE /v1/responses/*',
  'POST /v1/responses/*/cancel', 'GET /v1/responses/*/input_items',
] as const
export const MODELS_ENDPOINTS = ['GET /v1/models', 'GET /v1/models/*'] as const

/** OpenAI's inference endpoints (no files, batches, fine-tuning, vector stores or organisation). */
const OPENAI_ENDPOINTS = [
  'POST /v1/chat/completions', 'POST /v1/completions', 'POST /v1/embeddings', 'POST /v1/moderations',
  'POST /v1/images/generations', 'POST /v1/images/edits', 'POST /v1/images/variations',
  'POST /v1/audio/speech', 'POST /v1/audio/transcriptions', 'POST /v1/audio/translations',
  ...RESPONSES_ENDPOINTS, ...MODELS_ENDPOINTS,
]

/** OpenAI's API: chat completions, embeddings, images, audio, everything under /v1. */
export const openaiChannel: Channel = {
  type: 'openai',
  // Everything under /v1 that a more specific API (Anthropic's /v1/messages) does not claim.
  claimUnified: path => (path.startsWith('/v1/') ? 1 : 0),
  endpoints: OPENAI_ENDPOINTS,
  isModelList: path => path === '/v1/models',
  dialect: () => openaiDialect,
  ...openAiBodyRules,
  keyErrors: openaiKeyErrors,
  streamUsage: chatStreamUsage,
  validationRequest: (group: GroupRow, key: string) => bearerValidation(group.validationPath || channelInfo('openai').validationPath, key,
    { model: group.testModel, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
}
