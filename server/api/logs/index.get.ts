import { useApp } from '../../app'
import { listLogs } from '../../services/logs'
import { LogListQuerySchema } from '../../../shared/schemas/logs'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => listLogs(useApp().db, validateQuery(event, LogListQuerySchema)))
