import { KeyActionSchema } from '../../../../../shared/schemas/keys'
import { routeId } from '../../../../utils/api'
import { useKeygate } from '../../../../utils/keygate'
import { validateBody } from '../../../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const task = await useKeygate(event).keys.startAction(id, await validateBody(event, KeyActionSchema))
  setResponseStatus(event, 202)
  return { taskId: task.id }
})
