// Any /api path no route matched: a JSON 404, not the console's HTML page.
export default defineEventHandler((event) => {
  throw createError({ statusCode: 404, statusMessage: 'Not Found', message: `no API route ${event.method} ${event.path.split('?', 1)[0]}`, data: { code: 'NOT_FOUND' } })
})
