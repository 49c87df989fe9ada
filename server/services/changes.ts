import type { EngineChange } from '../proxy/ports'
import type { Store } from '../store/types'

/**
 * Cluster-wide change notices. Whoever writes a change publishes it; every instance (this one
 * included) reloads what it caches. Payloads name what changed, never secrets.
 */
export type Change = EngineChange
export type ChangeHandler = (change: Change) => void | Promise<void>

export interface ChangeFeed {
  /** Calls `handler` for every notice from now on, this instance's own included. */
  subscribe(handler: ChangeHandler): void
  publish(change: Change): Promise<void>
  /** Stops following the store's channel (shutdown). */
  close(): Promise<void>
}

/** What a service that changes data needs of the feed. */
export type ChangePublisher = Pick<ChangeFeed, 'publish'>

const CHANNEL = 'changes'

/** Follows the store's change channel; resolves once subscribed, so no notice published after is missed. */
export async function createChangeFeed(store: Store, onError: (err: unknown) => void): Promise<ChangeFeed> {
  const handlers: ChangeHandler[] = []
  const unsubscribe = await store.subscribe(CHANNEL, (message) => {
    let change: Change
    try { change = JSON.parse(message) as Change } catch { return }
    for (const h of handlers) Promise.resolve().then(() => h(change)).catch(onError)
  })
  return {
    subscribe(handler) { handlers.push(handler) },
    async publish(change) { await store.publish(CHANNEL, JSON.stringify(change)) },
    async close() {
      handlers.length = 0
      await unsubscribe()
    },
  }
}

/** Above this many ids a notice names none and instances reload the whole group: notices stay small. */
export const MAX_NOTICE_KEY_IDS = 1000

/** A keys notice naming `ids` when they are few enough, else a whole-group one. */
export function keysChange(groupId: number, ids?: Iterable<number> | null): Change {
  const list = ids ? [...ids] : null
  return list && list.length <= MAX_NOTICE_KEY_IDS ? { type: 'keys', groupId, keyIds: list } : { type: 'keys', groupId }
}
