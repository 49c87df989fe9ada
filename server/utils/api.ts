import type { H3Event } from 'h3'

/** A numeric `{id}` route parameter; anything else is a 404 (no such resource), never a 500. */
export function routeId(event: H3Event, name = 'id'): number {
  const raw = getRouterParam(event, name) ?? ''
  const n = Number(raw)
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
    throw createError({ statusCode: 404, statusMessage: 'Not Found', message: `no resource with id "${raw}"`, data: { code: 'NOT_FOUND' } })
  return n
}
