import type { GroupRow } from '../../../shared/types/rows'
import { openAiBodyRules } from './openai'
import type { Channel } from './types'

/** The version we send only when the client sent none (validation, old clients). */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01'

export const anthropicChannel: Channel = {
  type: 'anthropic',
  flavour: 'anthropic',
  model: openAiBodyRules.model,
  setModel: openAiBodyRules.setModel,
  isStream: openAiBodyRules.isStream,
  setKey(headers, key) {
    headers['x-api-key'] = key
    // The client's anthropic-version passes through; the API refuses requests without one.
    if (!headers['anthropic-version']) headers['anthropic-version'] = DEFAULT_ANTHROPIC_VERSION
  },
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || '/v1/messages',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': DEFAULT_ANTHROPIC_VERSION },
      body: JSON.stringify({ model: group.testModel, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    }
  },
}
