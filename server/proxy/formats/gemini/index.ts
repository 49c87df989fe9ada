import type { Format } from '../types'
import { buildGenerateRequest, geminiPathModel, parseGenerateRequest } from './request'
import { parseGenerateResponse, renderGenerateResponse } from './response'
import { generateStreamDecoder, generateStreamEncoder } from './stream'

/** Gemini generateContent and streamGenerateContent (native API). */
export const geminiFormat: Format = {
  api: 'gemini',
  isGenerationPath: path => path.startsWith('/v1beta/') && geminiPathModel(path) !== null,
  parseRequest: parseGenerateRequest,
  renderResponse: renderGenerateResponse,
  streamEncoder: generateStreamEncoder,
  buildRequest: buildGenerateRequest,
  parseResponse: parseGenerateResponse,
  streamDecoder: generateStreamDecoder,
}
