import { ProxyKeyListQuerySchema } from '../../../shared/schemas/proxyKeys'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => useKeygate(event).consumerKeys.list(validateQuery(event, ProxyKeyListQuerySchema)))
