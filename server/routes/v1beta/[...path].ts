import { handleProxy } from '../../proxy/handler'

/** Gemini API (`/v1beta/...`, model in the path) and its OpenAI mode (`/v1beta/openai/...`). */
export default defineEventHandler(event => handleProxy(event, { kind: 'unified' }))
