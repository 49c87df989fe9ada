import type { H3Event } from 'h3'
import type { Keygate, KeygateLifecycle } from '../core'

declare module 'h3' {
  interface H3EventContext {
    /** The built app: set by the bootstrap plugin once ready, or by the readiness gate for a request that waited. */
    keygate?: Keygate
    /** Where this instance is in its life; set on every request by the bootstrap plugin. */
    lifecycle?: KeygateLifecycle
  }
}

/** The app for this request (routes behind the readiness gate only). */
export function useKeygate(event: H3Event): Keygate {
  const keygate = event.context.keygate
  if (!keygate) throw createError({ statusCode: 503, message: 'Keygate is starting', data: { code: 'NOT_READY' } })
  return keygate
}
