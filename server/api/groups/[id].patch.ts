import { useApp } from '../../app'
import { updateGroup } from '../../services/groups'
import { GroupPatchSchema } from '../../../shared/schemas/groups'
import { routeId } from '../../utils/api'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  return updateGroup(useApp().db, id, await validateBody(event, GroupPatchSchema))
})
