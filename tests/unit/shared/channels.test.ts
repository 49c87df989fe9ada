import { describe, expect, it } from 'vitest'
import * as lite from '../../../db/schema/sqlite'
import * as my from '../../../db/schema/mysql'
import { CHANNEL_TYPES, CHANNELS, channelInfo } from '../../../shared/channels'
import { GroupCreateSchema } from '../../../shared/schemas/groups'

describe('the channel list', () => {
  it('names the four channels of CONTRACT §2, once each', () => {
    expect(CHANNEL_TYPES).toEqual(['openai', 'openai-response', 'anthropic', 'gemini'])
    expect(new Set(CHANNELS.map(c => c.label)).size).toBe(CHANNELS.length)
  })

  it('gives every channel a usable default upstream, test model and validation path', () => {
    for (const c of CHANNELS) {
      expect(new URL(c.defaultUpstream).protocol, c.type).toBe('https:')
      expect(c.defaultTestModel, c.type).toMatch(/^\S+$/)
      expect(c.validationPath, c.type).toMatch(/^\//)
      expect(channelInfo(c.type)).toBe(c)
    }
  })

  it('is what the group schema and both database schemas accept', () => {
    const group = (channel: string) => ({ name: 'g', channel, upstreams: [{ url: 'https://x.test', weight: 1 }] })
    for (const c of CHANNEL_TYPES) expect(GroupCreateSchema.safeParse(group(c)).success, c).toBe(true)
    expect(GroupCreateSchema.safeParse(group('azure')).success).toBe(false)
    expect(lite.groups.channel.enumValues).toEqual([...CHANNEL_TYPES])
    expect(my.groups.channel.enumValues).toEqual([...CHANNEL_TYPES])
  })
})
