import type { GroupRow } from '../../../shared/types/rows'
import { openAiBodyRules } from './openai'
import type { Channel } from './types'

/** OpenAI's Responses API: same auth and body conventions as chat completions. */
export const openaiResponseChannel: Channel = {
  type: 'openai-response',
  flavour: 'openai',
  ...openAiBodyRules,
  validationRequest(group: GroupRow, key: string) {
    return {
      method: 'POST',
      path: group.validationPath || '/v1/responses',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: group.testModel, input: 'hi' }),
    }
  },
}
