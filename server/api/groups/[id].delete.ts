import { useApp } from '../../app'
import { deleteGroup } from '../../services/groups'
import { GroupDeleteQuerySchema } from '../../../shared/schemas/groups'
import { routeId } from '../../utils/api'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler((event) => {
  const id = routeId(event)
  return deleteGroup(useApp().db, id, validateQuery(event, GroupDeleteQuerySchema).force)
})
