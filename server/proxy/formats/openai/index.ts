import type { Format } from '../types'
import { buildChatRequest, parseChatRequest } from './request'
import { parseChatResponse, renderChatResponse } from './response'
import { chatStreamDecoder, chatStreamEncoder } from './stream'

/** OpenAI Chat Completions. */
export const openaiFormat: Format = {
  api: 'openai',
  isGenerationPath: path => path === '/v1/chat/completions',
  parseRequest: (_path, _query, body) => parseChatRequest(body),
  renderResponse: renderChatResponse,
  streamEncoder: chatStreamEncoder,
  buildRequest: buildChatRequest,
  parseResponse: parseChatResponse,
  streamDecoder: chatStreamDecoder,
}
