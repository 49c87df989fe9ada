import { KeyListQuerySchema } from '../../../../../shared/schemas/keys'
import { routeId } from '../../../../utils/api'
import { useKeygate } from '../../../../utils/keygate'
import { validateQuery } from '../../../../utils/validation'

export default defineEventHandler(event => useKeygate(event).keys.list(routeId(event), validateQuery(event, KeyListQuerySchema)))
