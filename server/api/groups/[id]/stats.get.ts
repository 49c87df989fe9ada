import { useApp } from '../../../app'
import { groupStats } from '../../../services/stats'
import { routeId } from '../../../utils/api'

export default defineEventHandler(event => groupStats(useApp().db, routeId(event)))
