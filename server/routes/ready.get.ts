export default defineEventHandler((event) => {
  const lifecycle = event.context.lifecycle
  if (lifecycle?.draining) {
    setResponseStatus(event, 503)
    return { status: 'draining' }
  }
  if (!lifecycle?.ready) {
    setResponseStatus(event, 503)
    return { status: 'starting' }
  }
  return { status: 'ready' }
})
