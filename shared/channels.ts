/**
 * The channel types a group can have, written once: the API schema, the row type, the database
 * column and the console's channel picker all come from `CHANNELS`. Only what the console shows
 * and pre-fills lives here; how each channel speaks to its upstream is server/proxy/channels/.
 */
export const CHANNELS = [
  {
    type: 'openai',
    label: 'OpenAI',
    description: 'OpenAI-compatible API: chat, embeddings, images, audio, all of /v1',
    defaultUpstream: 'https://api.openai.com',
    defaultTestModel: 'gpt-4o-mini',
    validationPath: '/v1/chat/completions',
  },
  {
    type: 'openai-response',
    label: 'OpenAI Responses',
    description: 'OpenAI Responses API (/v1/responses)',
    defaultUpstream: 'https://api.openai.com',
    defaultTestModel: 'gpt-4o-mini',
    validationPath: '/v1/responses',
  },
  {
    type: 'anthropic',
    label: 'Anthropic',
    description: 'Anthropic Messages API (/v1/messages)',
    defaultUpstream: 'https://api.anthropic.com',
    defaultTestModel: 'claude-3-5-haiku-latest',
    validationPath: '/v1/messages',
  },
  {
    type: 'gemini',
    label: 'Gemini',
    description: 'Google Gemini API, native and its /v1beta/openai mode',
    defaultUpstream: 'https://generativelanguage.googleapis.com',
    defaultTestModel: 'gemini-2.0-flash',
    // The server puts the group's test model in place of {model}.
    validationPath: '/v1beta/models/{model}:generateContent',
  },
] as const satisfies readonly ChannelInfo[]

export type ChannelInfo = {
  type: string
  label: string
  description: string
  /** Pre-filled in the console's group form. */
  defaultUpstream: string
  defaultTestModel: string
  /** What a key validation calls when the group sets no `validationPath`. */
  validationPath: string
}

type TypesOf<T extends readonly ChannelInfo[]> = { readonly [I in keyof T]: T[I]['type'] }
/** `['openai', 'openai-response', 'anthropic', 'gemini']` as a tuple, for `z.enum` and drizzle's `enum`. */
export const CHANNEL_TYPES = CHANNELS.map(c => c.type) as unknown as TypesOf<typeof CHANNELS>
export type ChannelType = (typeof CHANNELS)[number]['type']

export function channelInfo(type: ChannelType): (typeof CHANNELS)[number] {
  return CHANNELS.find(c => c.type === type)!
}
