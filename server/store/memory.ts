import { EventEmitter } from 'node:events'
import type { Store } from './types'

type Entry = { value: string; expiresAt: number }

export function createMemoryStore(): Store {
  const values = new Map<string, Entry>()
  const lists = new Map<string, string[]>()
  const bus = new EventEmitter()
  bus.setMaxListeners(0)

  const live = (key: string): Entry | undefined => {
    const e = values.get(key)
    if (!e) return undefined
    if (e.expiresAt && e.expiresAt <= Date.now()) { values.delete(key); return undefined }
    return e
  }
  const expiry = (ttlMs?: number) => (ttlMs && ttlMs > 0 ? Date.now() + ttlMs : 0)
  const add = (key: string, by: number, ttlMs: number) => {
    const e = live(key)
    values.set(key, { value: String((e ? Number(e.value) : 0) + by), expiresAt: e?.expiresAt || expiry(ttlMs) })
  }
  // Expired entries are also swept now and then so unused keys do not pile up.
  const sweeper = setInterval(() => {
    const now = Date.now()
    for (const [k, e] of values) if (e.expiresAt && e.expiresAt <= now) values.delete(k)
  }, 60_000)
  sweeper.unref()

  return {
    kind: 'memory',
    async get(key) { return live(key)?.value ?? null },
    async set(key, value, ttlMs) { values.set(key, { value, expiresAt: expiry(ttlMs) }) },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false
      values.set(key, { value, expiresAt: expiry(ttlMs) })
      return true
    },
    async del(key) { values.delete(key); lists.delete(key) },
    async incr(key, by, ttlMs) {
      const e = live(key)
      const next = (e ? Number(e.value) : 0) + by
      values.set(key, { value: String(next), expiresAt: e?.expiresAt || expiry(ttlMs) })
      return next
    },
    async admitCounters(checks) {
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!
        const v = Number(live(c.key)?.value ?? 0)
        if (c.need > 0 ? v + c.need > c.limit : v >= c.limit) return i
      }
      for (const c of checks) if (c.add !== 0) add(c.key, c.add, c.ttlMs)
      return -1
    },
    async addCounters(adds) { for (const a of adds) add(a.key, a.by, a.ttlMs) },
    async readCounters(keys) { return keys.map(k => Number(live(k)?.value ?? 0)) },
    async listReplace(key, items) {
      if (items.length) lists.set(key, [...items])
      else lists.delete(key)
    },
    async listPush(key, ...items) {
      const l = lists.get(key)
      if (l) l.push(...items)
      else lists.set(key, [...items])
    },
    async listRemove(key, item) {
      const l = lists.get(key)
      if (l) lists.set(key, l.filter(x => x !== item))
    },
    async listAll(key) { return [...(lists.get(key) ?? [])] },
    async rotate(key) {
      const l = lists.get(key)
      if (!l?.length) return null
      const head = l.shift()!
      l.push(head)
      return head
    },
    async acquireLease(name, owner, ttlMs) {
      const k = `lease:${name}`
      const e = live(k)
      if (e && e.value !== owner) return false
      values.set(k, { value: owner, expiresAt: expiry(ttlMs) })
      return true
    },
    async renewLease(name, owner, ttlMs) {
      const k = `lease:${name}`
      if (live(k)?.value !== owner) return false
      values.set(k, { value: owner, expiresAt: expiry(ttlMs) })
      return true
    },
    async releaseLease(name, owner) {
      const k = `lease:${name}`
      if (live(k)?.value === owner) values.delete(k)
    },
    async publish(channel, message) { queueMicrotask(() => bus.emit(channel, message)) },
    async subscribe(channel, handler) {
      bus.on(channel, handler)
      return async () => { bus.off(channel, handler) }
    },
    async close() {
      clearInterval(sweeper)
      bus.removeAllListeners()
      values.clear()
      lists.clear()
    },
  }
}
