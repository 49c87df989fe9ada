import { KeyEventsQuerySchema } from '../../../shared/schemas/logs'
import { keyEvents } from '../../services/statsTop'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler((event) => {
  const { db, cipher } = useKeygate(event)
  return keyEvents(db, cipher, validateQuery(event, KeyEventsQuerySchema))
})
