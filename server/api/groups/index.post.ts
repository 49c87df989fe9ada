import { useApp } from '../../app'
import { createGroup } from '../../services/groups'
import { GroupCreateSchema } from '../../../shared/schemas/groups'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const input = await validateBody(event, GroupCreateSchema)
  setResponseStatus(event, 201)
  return createGroup(useApp().db, input)
})
