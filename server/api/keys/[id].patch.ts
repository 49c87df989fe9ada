import { useApp } from '../../app'
import { updateKey } from '../../services/keys'
import { KeyPatchSchema } from '../../../shared/schemas/keys'
import { routeId } from '../../utils/api'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const { db, cipher } = useApp()
  return updateKey(db, cipher, id, await validateBody(event, KeyPatchSchema))
})
