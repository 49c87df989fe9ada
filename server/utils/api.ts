import type { H3Event } from 'h3'
import { useApp } from '../app'
import type { TaskDeps } from '../services/tasks'
import type { KeyCipher } from '../services/keyCipher'

/** What task-starting services need, from the app context. */
export function taskDeps(): TaskDeps & { cipher: KeyCipher } {
  const { db, store, instanceId, log, cipher } = useApp()
  return { db, store, instanceId, log, cipher }
}

/** A numeric `{id}` route parameter; anything else is a 404 (no such resource), never a 500. */
export function routeId(event: H3Event, name = 'id'): number {
  const raw = getRouterParam(event, name) ?? ''
  const n = Number(raw)
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
    throw createError({ statusCode: 404, statusMessage: 'Not Found', message: `no resource with id "${raw}"`, data: { code: 'NOT_FOUND' } })
  return n
}
