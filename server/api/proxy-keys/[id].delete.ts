import { useApp } from '../../app'
import { deleteProxyKey } from '../../services/proxyKeys'
import { routeId } from '../../utils/api'

export default defineEventHandler(event => deleteProxyKey(useApp().db, routeId(event)))
