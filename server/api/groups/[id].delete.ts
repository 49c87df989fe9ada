import { GroupDeleteQuerySchema } from '../../../shared/schemas/groups'
import { routeId } from '../../utils/api'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler((event) => {
  const id = routeId(event)
  return useKeygate(event).groups.delete(id, validateQuery(event, GroupDeleteQuerySchema).force)
})
