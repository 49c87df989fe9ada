import { handleProxy } from '../../proxy/handler'

/** OpenAI API (`/v1/...`) and Anthropic Messages (`/v1/messages`): the group is chosen by model. */
export default defineEventHandler(event => handleProxy(event, { kind: 'unified' }))
