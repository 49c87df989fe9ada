import type { H3Event } from 'h3'
import type { z } from 'zod'
import { zodValidationError } from '../services/errors'
import { readBoundedBody } from './requestBody'

/** `__proto__` keys are dropped so no later spread or assignment can reach a prototype. */
const dropProto = (key: string, value: unknown) => (key === '__proto__' ? undefined : value)

/** The contract's 400: every bad field with its path and message. */
export function validationError(error: z.ZodError) {
  return zodValidationError(error)
}

/** The JSON body (within this route's size limit, see requestBody.ts) checked against `schema`. */
export async function validateBody<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.infer<S>> {
  const raw = await readBoundedBody(event)
  let body: unknown
  try { body = raw?.length ? JSON.parse(raw.toString('utf8'), dropProto) : undefined } catch {
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
