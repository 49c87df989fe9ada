import type { Store } from '../store/types'

/**
 * Cluster-wide change notices. Whoever writes a change publishes it; every instance (this one
 * included) reloads what it caches. Payloads name what changed, never secrets.
 */
export type Change =
  | { type: 'settings' }
  | { type: 'groups' }
  | { type: 'keys'; groupId: number }
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

export async function publishChange(change: Change): Promise<void> {
  if (!store) throw new Error('change feed not started')
  await store.publish(CHANNEL, JSON.stringify(change))
}
