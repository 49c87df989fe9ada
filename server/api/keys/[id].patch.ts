import { KeyPatchSchema } from '../../../shared/schemas/keys'
import { routeId } from '../../utils/api'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  return useKeygate(event).keys.update(id, await validateBody(event, KeyPatchSchema))
})
