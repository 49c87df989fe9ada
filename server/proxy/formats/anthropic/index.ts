import type { Format } from '../types'
import { buildMessagesRequest, parseMessagesRequest } from './request'
import { parseMessagesResponse, renderMessagesResponse } from './response'
import { messagesStreamDecoder, messagesStreamEncoder } from './stream'

/** Anthropic Messages. */
export const anthropicFormat: Format = {
  api: 'anthropic',
  isGenerationPath: path => path === '/v1/messages',
  parseRequest: (_path, _query, body) => parseMessagesRequest(body),
  renderResponse: renderMessagesResponse,
  streamEncoder: messagesStreamEncoder,
  buildRequest: buildMessagesRequest,
  parseResponse: parseMessagesResponse,
  streamDecoder: messagesStreamDecoder,
}
