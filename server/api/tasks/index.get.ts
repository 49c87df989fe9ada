import { useApp } from '../../app'
import { listTasks } from '../../services/tasks'
import { TaskListQuerySchema } from '../../../shared/schemas/tasks'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => listTasks(useApp().db, validateQuery(event, TaskListQuerySchema)))
