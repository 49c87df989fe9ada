import { expectTypeOf, test } from 'vitest'
import type { z } from 'zod'
import type { CHANNEL_TYPES, ChannelType } from '../../../shared/channels'
import type { GroupCreateSchema } from '../../../shared/schemas/groups'
import type { ChannelType as RowChannelType, GroupRow } from '../../../shared/types/rows'

test('ChannelType comes from the one list and reaches the row type and the group schema', () => {
  expectTypeOf<ChannelType>().toEqualTypeOf<'openai' | 'openai-response' | 'anthropic' | 'gemini'>()
  expectTypeOf<typeof CHANNEL_TYPES>().toEqualTypeOf<readonly ['openai', 'openai-response', 'anthropic', 'gemini']>()
  expectTypeOf<RowChannelType>().toEqualTypeOf<ChannelType>()
  expectTypeOf<GroupRow['channel']>().toEqualTypeOf<ChannelType>()
  expectTypeOf<z.infer<typeof GroupCreateSchema>['channel']>().toEqualTypeOf<ChannelType>()
})
