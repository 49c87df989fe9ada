import { GroupCopySchema } from '../../../../shared/schemas/groups'
import { routeId } from '../../../utils/api'
import { useKeygate } from '../../../utils/keygate'
import { validateBody } from '../../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const input = await validateBody(event, GroupCopySchema)
  const copy = await useKeygate(event).groups.copy(id, input)
  setResponseStatus(event, 201)
  return copy
})
