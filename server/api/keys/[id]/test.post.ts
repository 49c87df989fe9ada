import { useApp } from '../../../app'
import { testKey } from '../../../services/keyActions'
import { routeId } from '../../../utils/api'
import { keyValidator } from '../../../utils/keyValidator'

/** Sends the group's validation request with this key; `{ok, status, latencyMs, error}`. */
export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const { db, cipher } = useApp()
  return testKey(db, cipher, keyValidator(), id)
})
