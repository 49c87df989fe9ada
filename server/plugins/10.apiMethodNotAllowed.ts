const OPERATIONS = new Set(['/health', '/ready', '/metrics'])

/**
 * A path whose API route exists for other methods only (`GET /api/auth/login`, `DELETE
 * /api/groups/order`) falls through h3's router to the console's page renderer, which would
 * answer 200 with the console's HTML. Before that page is rendered, such a request is refused
 * the way the API refuses: a JSON 405 (found by tests/fuzz/managementApi.test.ts).
 */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('render:before', ({ event }) => {
    const path = event.path.split('?', 1)[0]!
    if (path !== '/api' && !path.startsWith('/api/') && !OPERATIONS.has(path)) return
    throw createError({ statusCode: 405, statusMessage: 'Method Not Allowed', message: `no API route ${event.method} ${path}`, data: { code: 'METHOD_NOT_ALLOWED' } })
  })
})
