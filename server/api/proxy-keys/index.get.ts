import { useApp } from '../../app'
import { listProxyKeys } from '../../services/proxyKeys'
import { ProxyKeyListQuerySchema } from '../../../shared/schemas/proxyKeys'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => listProxyKeys(useApp().db, validateQuery(event, ProxyKeyListQuerySchema)))
