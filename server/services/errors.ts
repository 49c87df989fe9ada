import { createError } from 'h3'

/** The management API's error catalogue (CONTRACT §3): one place for codes and statuses. */
export const notFound = (what: string) => createError({ statusCode: 404, statusMessage: 'Not Found', message: `${what} not found`, data: { code: 'NOT_FOUND' } })
export const conflict = (message: string, extra: Record<string, unknown> = {}) =>
  createError({ statusCode: 409, statusMessage: 'Conflict', message, data: { code: 'CONFLICT', ...extra } })
/** A cross-field or cross-record rule broken: the same 400 body as a schema failure. */
export const invalid = (path: string, message: string) =>
  createError({ statusCode: 400, statusMessage: 'Bad Request', message: `${path}: ${message}`, data: { code: 'VALIDATION', issues: [{ path, message }] } })
