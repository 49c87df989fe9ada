/**
 * 503 while starting or draining (take this instance out of rotation); otherwise 200 with the
 * state of the database and Redis, `status: "degraded"` when one of them is not answering: the
 * proxy goes on serving without them (server/services/readiness.ts).
 */
export default defineEventHandler(async (event) => {
  const lifecycle = event.context.lifecycle
  if (lifecycle?.draining) {
    setResponseStatus(event, 503)
    return { status: 'draining' }
  }
  const keygate = event.context.keygate
  if (!lifecycle?.ready || !keygate) {
    setResponseStatus(event, 503)
    return { status: 'starting' }
  }
  return keygate.readiness.check()
})
