import { useApp } from '../../app'
import { reorderGroups } from '../../services/groups'
import { GroupOrderSchema } from '../../../shared/schemas/groups'
import { validateBody } from '../../utils/validation'

/** `{"ids":[…]}`: the listed groups first, in that order. */
export default defineEventHandler(async event => reorderGroups(useApp().db, (await validateBody(event, GroupOrderSchema)).ids))
