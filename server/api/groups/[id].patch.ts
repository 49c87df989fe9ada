import { GroupPatchSchema } from '../../../shared/schemas/groups'
import { routeId } from '../../utils/api'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  return useKeygate(event).groups.update(id, await validateBody(event, GroupPatchSchema))
})
