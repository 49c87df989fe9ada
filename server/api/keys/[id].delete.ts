import { useApp } from '../../app'
import { deleteKey } from '../../services/keys'
import { routeId } from '../../utils/api'

export default defineEventHandler(event => deleteKey(useApp().db, routeId(event)))
