import type { IncomingHttpHeaders } from 'node:http'
import type { ChannelType } from '../../../shared/types/rows'
import { anthropicChannel } from './anthropic'
import { geminiChannel } from './gemini'
import { openaiChannel } from './openai'
import { openaiResponseChannel } from './openai-response'
import type { Channel } from './types'

export type { Channel, Dialect, JsonBody, KeyErrorRules, ResponseHeaders, ValidationRequest } from './types'
export { joinUrl } from './types'

/** The registry: one line per channel folder. */
const CHANNELS: Record<ChannelType, Channel> = {
  'openai': openaiChannel,
  'openai-response': openaiResponseChannel,
  'anthropic': anthropicChannel,
  'gemini': geminiChannel,
}
const ALL = Object.values(CHANNELS)

/** Our errors on a path no channel claims: OpenAI's shape, what most clients parse. */
export const fallbackDialect = openaiChannel.dialect('/')

export function channelFor(type: ChannelType): Channel {
  const c = CHANNELS[type]
  if (!c) throw new Error(`unknown channel type "${type}"`)
  return c
}

/** The channels whose API a unified-route request is for: the strongest claims (none: no API here). */
export function unifiedChannels(path: string, headers: IncomingHttpHeaders): Channel[] {
  let best = 0
  let out: Channel[] = []
  for (const c of ALL) {
    const claim = c.claimUnified(path, headers)
    if (claim > best) { best = claim; out = [c] } else if (claim === best && claim > 0) out.push(c)
  }
  return out
}
