import { GroupOrderSchema } from '../../../shared/schemas/groups'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

/** `{"ids":[…]}`: the listed groups first, in that order. */
export default defineEventHandler(async event => useKeygate(event).groups.reorder((await validateBody(event, GroupOrderSchema)).ids))
