import { useKeygate } from '../../utils/keygate'

/** OpenAI API (`/v1/...`) and Anthropic Messages (`/v1/messages`): the group is chosen by model. */
export default defineEventHandler(event => useKeygate(event).engine.handle(event.node.req, event.node.res, { kind: 'unified' }))
