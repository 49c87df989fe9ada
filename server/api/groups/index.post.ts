import { GroupCreateSchema } from '../../../shared/schemas/groups'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const input = await validateBody(event, GroupCreateSchema)
  setResponseStatus(event, 201)
  return useKeygate(event).groups.create(input)
})
