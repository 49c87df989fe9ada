import { randomUUID } from 'node:crypto'
import { isKgMessage, trySend, type IpcPort } from '../cluster/port'
import type { Store } from './types'

/**
 * The Store of a worker process when WORKERS > 1 without Redis: every call is answered by the
 * primary's one in-process store (served by ./ipcHost.ts), so counters, leases, sessions and
 * lists are exact across workers. Messages fan out through the primary to every worker, this one
 * included, in the order the primary received them.
 */

export const STORE_CALL = 'store'
export const STORE_REPLY = 'store:reply'
export const STORE_MESSAGE = 'store:message'

export type StoreOp = Exclude<keyof Store, 'kind' | 'subscribe' | 'close'>
export type StoreCall = { kg: typeof STORE_CALL; id: string; op: StoreOp; args: unknown[] }
export type StoreReply = { kg: typeof STORE_REPLY; id: string; value?: unknown; error?: string }
export type StoreMessage = { kg: typeof STORE_MESSAGE; channel: string; message: string }

/** A call the primary did not answer in this time failed (the primary is gone or stuck). */
const CALL_TIMEOUT_MS = 10_000

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

export function createIpcStore(port: IpcPort): Store {
  // Several clients may share one channel (tests do): ids are unique per client, replies to others are ignored.
  const prefix = `${randomUUID().slice(0, 8)}:`
  let seq = 0
  const pending = new Map<string, Pending>()
  const handlers = new Map<string, Set<(m: string) => void>>()
  let closed = false

  const onMessage = (m: unknown) => {
    if (!isKgMessage(m)) return
    if (m.kg === STORE_REPLY) {
      const r = m as StoreReply
      const p = pending.get(r.id)
      if (!p) return
      pending.delete(r.id)
      clearTimeout(p.timer)
      if (r.error !== undefined) p.reject(new Error(`store: ${r.error}`))
      else p.resolve(r.value)
    } else if (m.kg === STORE_MESSAGE) {
      const msg = m as StoreMessage
      for (const h of handlers.get(msg.channel) ?? []) h(msg.message)
    }
  }
  port.on('message', onMessage)

  function call<T>(op: StoreOp, args: unknown[]): Promise<T> {
    if (closed) return Promise.reject(new Error('store: closed'))
    const id = prefix + (seq++).toString(36)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`store: the primary process did not answer ${op} within ${CALL_TIMEOUT_MS / 1000}s`))
      }, CALL_TIMEOUT_MS)
      timer.unref()
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      const sent: StoreCall = { kg: STORE_CALL, id, op, args }
      if (!trySend(port, sent)) {
        pending.delete(id)
        clearTimeout(timer)
        reject(new Error('store: the channel to the primary process is closed'))
      }
    })
  }

  return {
    kind: 'ipc',
    get: key => call('get', [key]),
    set: (key, value, ttlMs) => call('set', [key, value, ttlMs]),
    setIfAbsent: (key, value, ttlMs) => call('setIfAbsent', [key, value, ttlMs]),
    del: key => call('del', [key]),
    incr: (key, by, ttlMs) => call('incr', [key, by, ttlMs]),
    admitCounters: checks => call('admitCounters', [checks]),
    addCounters: adds => call('addCounters', [adds]),
    readCounters: keys => call('readCounters', [keys]),
    listReplace: (key, items) => call('listReplace', [key, items]),
    listPush: (key, ...items) => call('listPush', [key, ...items]),
    listRemove: (key, item) => call('listRemove', [key, item]),
    listAll: key => call('listAll', [key]),
    rotate: key => call('rotate', [key]),
    acquireLease: (name, owner, ttlMs) => call('acquireLease', [name, owner, ttlMs]),
    renewLease: (name, owner, ttlMs) => call('renewLease', [name, owner, ttlMs]),
    releaseLease: (name, owner) => call('releaseLease', [name, owner]),
    publish: (channel, message) => call('publish', [channel, message]),
    async subscribe(channel, handler) {
      let set = handlers.get(channel)
      if (!set) handlers.set(channel, set = new Set())
      set.add(handler)
      return async () => {
        set.delete(handler)
        if (!set.size) handlers.delete(channel)
      }
    },
    async close() {
      closed = true
      port.off('message', onMessage)
      handlers.clear()
      for (const p of pending.values()) { clearTimeout(p.timer); p.reject(new Error('store: closed')) }
      pending.clear()
    },
  }
}
