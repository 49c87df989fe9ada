import { startKeyAction } from '../../../../services/keyActions'
import { KeyActionSchema } from '../../../../../shared/schemas/keys'
import { routeId, taskDeps } from '../../../../utils/api'
import { keyValidator } from '../../../../utils/keyValidator'
import { validateBody } from '../../../../utils/validation'

export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const task = await startKeyAction(taskDeps(), keyValidator(), id, await validateBody(event, KeyActionSchema))
  setResponseStatus(event, 202)
  return { taskId: task.id }
})
