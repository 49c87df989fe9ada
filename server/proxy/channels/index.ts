import type { ChannelType } from '../../../shared/types/rows'
import { anthropicChannel } from './anthropic'
import { geminiChannel } from './gemini'
import { openaiChannel } from './openai'
import { openaiResponseChannel } from './openaiResponse'
import type { Channel } from './types'

export type { ApiFlavour, Channel, JsonBody } from './types'
export { joinUrl } from './types'

const CHANNELS: Record<ChannelType, Channel> = {
  'openai': openaiChannel,
  'openai-response': openaiResponseChannel,
  'anthropic': anthropicChannel,
  'gemini': geminiChannel,
}

export function channelFor(type: ChannelType): Channel {
  const c = CHANNELS[type]
  if (!c) throw new Error(`unknown channel type "${type}"`)
  return c
}
