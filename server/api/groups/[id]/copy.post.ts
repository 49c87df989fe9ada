import { useApp } from '../../../app'
import { copyGroup } from '../../../services/groups'
import { GroupCopySchema } from '../../../../shared/schemas/groups'
import { routeId } from '../../../utils/api'
import { validateBody } from '../../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const input = await validateBody(event, GroupCopySchema)
  const copy = await copyGroup(useApp().db, id, input)
  setResponseStatus(event, 201)
  return copy
})
