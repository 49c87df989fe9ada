import { GroupListQuerySchema } from '../../../shared/schemas/groups'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => useKeygate(event).groups.list(validateQuery(event, GroupListQuerySchema)))
