import type { Format } from '../types'
import { buildResponsesRequest, parseResponsesRequest } from './request'
import { parseResponsesResponse, renderResponsesResponse } from './response'
import { responsesStreamDecoder, responsesStreamEncoder } from './stream'

/** OpenAI Responses (create only: converted responses are not stored, so nothing can be read back). */
export const responsesFormat: Format = {
  api: 'openai-response',
  isGenerationPath: path => path === '/v1/responses',
  parseRequest: (_path, _query, body) => parseResponsesRequest(body),
  renderResponse: renderResponsesResponse,
  streamEncoder: responsesStreamEncoder,
  buildRequest: buildResponsesRequest,
  parseResponse: parseResponsesResponse,
  streamDecoder: responsesStreamDecoder,
}
