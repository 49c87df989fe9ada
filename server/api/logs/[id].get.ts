import { useApp } from '../../app'
import { getLog } from '../../services/logs'

export default defineEventHandler(event => getLog(useApp().db, getRouterParam(event, 'id') ?? ''))
