import type { H3Event } from 'h3'
import type { z } from 'zod'
import { zodValidationError } from '../services/errors'

/** The contract's 400: every bad field with its path and message. */
export function validationError(error: z.ZodError) {
  return zodValidationError(error)
}

export async function validateBody<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.infer<S>> {
  let body: unknown
  try { body = await readBody(event) } catch {
    throw createError({ statusCode: 400, message: 'body: not valid JSON', data: { code: 'VALIDATION', issues: [{ path: '', message: 'not valid JSON' }] } })
  }
  const r = schema.safeParse(body ?? {})
  if (!r.success) throw validationError(r.error)
  return r.data
}

export function validateQuery<S extends z.ZodType>(event: H3Event, schema: S): z.infer<S> {
  const r = schema.safeParse(getQuery(event))
  if (!r.success) throw validationError(r.error)
  return r.data
}
