import type { H3Event } from 'h3'
import type { z } from 'zod'

/** The contract's 400: every bad field with its path and message. */
export function validationError(error: z.ZodError) {
  // An unknown key is reported at its own path, so a form can point at the field.
  const issues = error.issues.flatMap(i => i.code === 'unrecognized_keys'
    ? i.keys.map(k => ({ path: [...i.path, k].join('.'), message: 'is not a known field' }))
    : [{ path: i.path.join('.'), message: i.message }])
  const first = issues[0]
  return createError({
    statusCode: 400,
    message: first ? `${first.path || 'body'}: ${first.message}` : 'Invalid input',
    data: { code: 'VALIDATION', issues },
  })
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
