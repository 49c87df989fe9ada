import type { Store } from '../store/types'

/**
 * Cluster-wide change notices. Whoever writes a change publishes it; every instance (this one
 * included) reloads what it caches. Payloads name what changed, never secrets.
 */
export type Change =
  | { type: 'settings' }
  | { type: 'groups' }
  /** `keyIds`: only these keys changed (absent: reload the whole group). */
  | { type: 'keys'; groupId: number; keyIds?: number[] }
  | { type: 'proxy-keys' }

const CHANNEL = 'changes'
type Handler = (change: Change) => void | Promise<void>
const handlers: Handler[] = []
let store: Store | undefined

export async function startChangeFeed(s: Store, onError: (err: unknown) => void): Promise<() => Promise<void>> {
  store = s
  return s.subscribe(CHANNEL, (message) => {
    let change: Change
    try { change = JSON.parse(message) as Change } catch { return }
    for (const h of handlers) Promise.resolve().then(() => h(change)).catch(onError)
  })
}

export function onChange(handler: Handler) { handlers.push(handler) }

/** Above this many ids a notice names none and instances reload the whole group: notices stay small. */
export const MAX_NOTICE_KEY_IDS = 1000

/** A keys notice naming `ids` when they are few enough, else a whole-group one. */
export function keysChange(groupId: number, ids?: Iterable<number> | null): Change {
  const list = ids ? [...ids] : null
  return list && list.length <= MAX_NOTICE_KEY_IDS ? { type: 'keys', groupId, keyIds: list } : { type: 'keys', groupId }
}

export async function publishChange(change: Change): Promise<void> {
  if (!store) throw new Error('change feed not started')
  await store.publish(CHANNEL, JSON.stringify(change))
}
