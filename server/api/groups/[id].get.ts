import { useApp } from '../../app'
import { getGroup } from '../../services/groups'
import { routeId } from '../../utils/api'

export default defineEventHandler(event => getGroup(useApp().db, routeId(event)))
