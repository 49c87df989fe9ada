import { createError } from 'h3'
import type { z } from 'zod'

/** The management API's error catalogue (CONTRACT §3): one place for codes and statuses. */
export const notFound = (what: string) => createError({ statusCode: 404, statusMessage: 'Not Found', message: `${what} not found`, data: { code: 'NOT_FOUND' } })
export const conflict = (message: string, extra: Record<string, unknown> = {}) =>
  createError({ statusCode: 409, statusMessage: 'Conflict', message, data: { code: 'CONFLICT', ...extra } })
/** A cross-field or cross-record rule broken: the same 400 body as a schema failure. */
export const invalid = (path: string, message: string) =>
  createError({ statusCode: 400, statusMessage: 'Bad Request', message: `${path}: ${message}`, data: { code: 'VALIDATION', issues: [{ path, message }] } })

/** The contract's 400 from a zod failure: every bad field, an unknown field at its own path. */
export function zodValidationError(error: z.ZodError) {
  const issues = error.issues.flatMap(i => i.code === 'unrecognized_keys'
    ? i.keys.map(k => ({ path: [...i.path, k].join('.'), message: 'is not a known field' }))
    : [{ path: i.path.join('.'), message: i.message }])
  const first = issues[0]
  return createError({
    statusCode: 400,
    statusMessage: 'Bad Request',
    message: first ? `${first.path || 'body'}: ${first.message}` : 'Invalid input',
    data: { code: 'VALIDATION', issues },
  })
}
