import type { SharedSlots } from '../proxy/ports'
import { isKgMessage, trySend, type IpcPort } from './port'

/**
 * Concurrency limits that hold across the workers of one instance (WORKERS > 1): the gateway's
 * MAX_CONCURRENT_REQUESTS and a proxy key's concurrency. The primary owns each limit and lends
 * its slots to workers in small batches; a worker takes and gives back slots it holds without
 * asking anyone, so the hot path pays a round trip only when the worker has no spare slot. When
 * the primary has none left to lend it first reclaims the spare ones other workers hold, so a
 * request is refused only when the instance as a whole is at the limit.
 */

type Take = { kg: 'slots:take'; id: number; name: string; limit: number; want: number }
type Granted = { kg: 'slots:granted'; id: number; n: number }
type Return = { kg: 'slots:return'; name: string; n: number; reclaim?: number }
type Reclaim = { kg: 'slots:reclaim'; name: string; reclaim: number }

/** How many slots a worker borrows at once (it keeps up to two such batches spare): a small share of the limit. */
export function batchFor(limit: number, workers: number) {
  return Math.max(1, Math.floor(limit / (workers * 16)))
}

/** A worker that has not answered a reclaim by then is taken to have nothing to give back. */
const RECLAIM_TIMEOUT_MS = 200
/** A take the primary has not answered by then is refused (the primary is gone). */
const TAKE_TIMEOUT_MS = 5_000

/** Worker side. */
export function createSlotClient(primary: IpcPort, workers: number): SharedSlots & { close(): void } {
  const held = new Map<string, { held: number; used: number; batch: number }>()
  const waiting = new Map<number, (n: number) => void>()
  let seq = 0

  const state = (name: string, limit: number) => {
    let s = held.get(name)
    if (!s) held.set(name, s = { held: 0, used: 0, batch: 1 })
    s.batch = batchFor(limit, workers)
    return s
  }

  const onMessage = (m: unknown) => {
    if (!isKgMessage(m)) return
    if (m.kg === 'slots:granted') {
      const g = m as Granted
      waiting.get(g.id)?.(g.n)
      waiting.delete(g.id)
    } else if (m.kg === 'slots:reclaim') {
      const r = m as Reclaim
      const s = held.get(r.name)
      const spare = s ? s.held - s.used : 0
      if (s) s.held -= spare
      trySend(primary, { kg: 'slots:return', name: r.name, n: spare, reclaim: r.reclaim } satisfies Return)
    }
  }
  primary.on('message', onMessage)

  return {
    take(name, limit) {
      const s = state(name, limit)
      if (s.used < s.held) { s.used++; return true }
      const id = seq++
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => { waiting.delete(id); resolve(false) }, TAKE_TIMEOUT_MS)
        waiting.set(id, (n) => {
          clearTimeout(timer)
          s.held += n
          if (s.used < s.held) { s.used++; resolve(true) } else resolve(false)
        })
        if (!trySend(primary, { kg: 'slots:take', id, name, limit, want: s.batch } satisfies Take)) {
          clearTimeout(timer)
          waiting.delete(id)
          resolve(false)
        }
      })
    },
    give(name) {
      const s = held.get(name)
      if (!s || s.used <= 0) return
      s.used--
      // Handed back only past two batches spare, down to one: a load that moves within a batch sends nothing.
      if (s.held - s.used <= 2 * s.batch) return
      const extra = s.held - s.used - s.batch
      if (extra > 0) {
        s.held -= extra
        trySend(primary, { kg: 'slots:return', name, n: extra } satisfies Return)
      }
    },
    close() {
      primary.off('message', onMessage)
      for (const w of waiting.values()) w(0)
      waiting.clear()
    },
  }
}

export interface SlotLender {
  attach(worker: IpcPort): void
  /** The worker is gone: whatever it held is free again. */
  detach(worker: IpcPort): void
}

/** Primary side. */
export function createSlotLender(): SlotLender {
  // Per limit: slots lent to each worker. A worker's count is what it holds, used or spare.
  const lent = new Map<string, Map<IpcPort, number>>()
  const listeners = new Map<IpcPort, (m: unknown) => void>()
  // Takes of one limit run one after another, so a reclaim is not raced by the next take.
  const queues = new Map<string, Promise<void>>()
  const reclaims = new Map<number, { pending: Set<IpcPort>; done: () => void }>()
  let reclaimSeq = 0

  const lentOf = (name: string) => {
    let m = lent.get(name)
    if (!m) lent.set(name, m = new Map())
    return m
  }
  const total = (m: Map<IpcPort, number>) => { let n = 0; for (const v of m.values()) n += v; return n }
  const adjust = (name: string, port: IpcPort, by: number) => {
    const m = lentOf(name)
    const next = (m.get(port) ?? 0) + by
    if (next > 0) m.set(port, next)
    else m.delete(port)
    if (!m.size) lent.delete(name)
  }

  async function reclaim(name: string, from: IpcPort[]) {
    if (!from.length) return
    const id = reclaimSeq++
    const pending = new Set(from.filter(p => trySend(p, { kg: 'slots:reclaim', name, reclaim: id } satisfies Reclaim)))
    if (!pending.size) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RECLAIM_TIMEOUT_MS)
      reclaims.set(id, { pending, done: () => { if (!pending.size) { clearTimeout(timer); resolve() } } })
    })
    reclaims.delete(id)
  }

  async function take(port: IpcPort, t: Take) {
    let m = lentOf(t.name)
    let free = t.limit - total(m)
    if (free <= 0) {
      await reclaim(t.name, [...m.keys()].filter(p => p !== port))
      m = lentOf(t.name)
      free = t.limit - total(m)
    }
    const n = Math.max(0, Math.min(t.want, free))
    if (n) adjust(t.name, port, n)
    if (!trySend(port, { kg: 'slots:granted', id: t.id, n } satisfies Granted) && n) adjust(t.name, port, -n)
  }

  return {
    attach(port) {
      const listener = (m: unknown) => {
        if (!isKgMessage(m)) return
        if (m.kg === 'slots:take') {
          const t = m as Take
          const prev = queues.get(t.name) ?? Promise.resolve()
          const next = prev.then(() => take(port, t)).catch(() => {})
          queues.set(t.name, next)
          void next.then(() => { if (queues.get(t.name) === next) queues.delete(t.name) })
        } else if (m.kg === 'slots:return') {
          const r = m as Return
          if (r.n > 0) adjust(r.name, port, -r.n)
          if (r.reclaim !== undefined) {
            const c = reclaims.get(r.reclaim)
            if (c) { c.pending.delete(port); c.done() }
          }
        }
      }
      listeners.set(port, listener)
      port.on('message', listener)
    },
    detach(port) {
      const listener = listeners.get(port)
      if (listener) port.off('message', listener)
      listeners.delete(port)
      for (const name of [...lent.keys()]) adjust(name, port, -(lent.get(name)?.get(port) ?? 0))
      for (const c of reclaims.values()) { c.pending.delete(port); c.done() }
    },
  }
}
