import { useKeygate } from '../../utils/keygate'

/** Gemini API (`/v1beta/...`, model in the path) and its OpenAI mode (`/v1beta/openai/...`). */
export default defineEventHandler(event => useKeygate(event).engine.handle(event.node.req, event.node.res, { kind: 'unified' }))
