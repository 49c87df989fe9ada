import { useApp } from '../../../../app'
import { listKeys } from '../../../../services/keys'
import { KeyListQuerySchema } from '../../../../../shared/schemas/keys'
import { routeId } from '../../../../utils/api'
import { validateQuery } from '../../../../utils/validation'

export default defineEventHandler((event) => {
  const { db, cipher } = useApp()
  return listKeys(db, cipher, routeId(event), validateQuery(event, KeyListQuerySchema))
})
