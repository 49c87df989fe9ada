import { useApp } from '../../app'
import { getTask } from '../../services/tasks'

export default defineEventHandler(event => getTask(useApp().db, getRouterParam(event, 'id') ?? ''))
