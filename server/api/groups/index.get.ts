import { useApp } from '../../app'
import { listGroups } from '../../services/groups'
import { GroupListQuerySchema } from '../../../shared/schemas/groups'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => listGroups(useApp().db, validateQuery(event, GroupListQuerySchema)))
