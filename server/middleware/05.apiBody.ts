import { bodyPolicy, mediaTypeOf, requestHasBody, tooLarge } from '../utils/requestBody'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Before anything reads a state-changing /api request: only the body types the route takes
 * (JSON; text/plain and multipart only where keys are uploaded), else 415, so no HTML form and
 * no CORS-free `text/plain` fetch from another page can reach a handler; and a declared length
 * past the route's limit is a 413 before a byte is read. The limit is left on the context for
 * the reader, which also enforces it while the body streams.
 */
export default defineEventHandler((event) => {
  const method = event.method
  const path = event.path.split('?', 1)[0]!
  if (!path.startsWith('/api/') || !STATE_CHANGING.has(method)) return
  const policy = bodyPolicy(method, path)
  const contentType = getRequestHeader(event, 'content-type')
  if (contentType === undefined && !requestHasBody(event)) return
  const type = mediaTypeOf(contentType) as keyof typeof policy
  const limit = policy[type]
  if (limit === undefined) {
    throw createError({
      statusCode: 415,
      message: `content-type: send ${Object.keys(policy).join(' or ')}${contentType ? `, not ${type || 'an empty type'}` : ''}`,
      data: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    })
  }
  if (Number(getRequestHeader(event, 'content-length') ?? 0) > limit) throw tooLarge(event, limit)
  event.context.bodyLimit = limit
})
