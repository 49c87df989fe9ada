import { TaskListQuerySchema } from '../../../shared/schemas/tasks'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => useKeygate(event).tasks.list(validateQuery(event, TaskListQuerySchema)))
