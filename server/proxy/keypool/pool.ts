import type { KeyStatus } from '../../../shared/types/rows'
import { AffinityIndex, type AffinitySeeds } from './affinity'
import type { PoolKey } from './types'
import { WaitQueue } from './waitQueue'
import { WakeHeap } from './wakeHeap'

/**
 * A group's keys. Usable keys sit in a ring (array + cursor) and leave it by swap-remove, so
 * picking the next key is O(1) and allocation-free whatever the pool size. Cooling and parked
 * keys wait in a heap ordered by wake-up time; only the heap's top is looked at per pick.
 */
export class KeyPool {
  readonly byId = new Map<number, PoolKey>()
  private ring: PoolKey[] = []
  private cursor = 0
  private waiting = new WakeHeap()
  /** Built on the first request that asks for a sticky key; most pools never need it. */
  private affinity: AffinityIndex | null = null
  readonly counts: Record<KeyStatus, number> = { active: 0, cooling: 0, invalid: 0, disabled: 0 }
  /** Paged reloads so far: each marks the keys it saw with its number (see reloadPoolPaged). */
  reloads = 0
  /** Active keys skipped for pacing: parked (time windows) or held (key_concurrency). */
  parkedCount = 0
  heldCount = 0
  /** Requests waiting (queue_timeout_ms) for a key of this pool to come free, first come first served. */
  readonly waiters = new WaitQueue()

  constructor(readonly groupId: number, private onWake: (k: PoolKey) => void = () => {}) {}

  get size() { return this.byId.size }
  get usableCount() { return this.ring.length }

  /** The next usable key in rotation, or null when none is usable right now. */
  next(now: number): PoolKey | null {
    this.wakeDue(now)
    const n = this.ring.length
    if (n === 0) return null
    if (this.cursor >= n) this.cursor = 0
    return this.ring[this.cursor++]!
  }

  /**
   * The conversation's key (AffinityIndex): the same on every instance while it is usable, else
   * the next usable one in the conversation's own order; null when none of those is usable or
   * `skip` refuses them (the caller then rotates).
   */
  pinned(seeds: AffinitySeeds, now: number, skip?: (k: PoolKey) => boolean): PoolKey | null {
    this.wakeDue(now)
    if (this.ring.length === 0) return null
    this.affinity ??= new AffinityIndex(this.byId.values())
    return this.affinity.pick(seeds, k => k.slot >= 0 && !skip?.(k))
  }

  /** Whether `k` is in rotation right now (active and not parked). */
  isUsable(k: PoolKey, now: number): boolean {
    this.wakeDue(now)
    return k.slot >= 0 && this.byId.get(k.id) === k
  }

  hasUsable(now: number): boolean {
    this.wakeDue(now)
    return this.ring.length > 0
  }

  /** Earliest time a waiting key becomes usable (for Retry-After when the pool is exhausted). */
  nextWake(): number | null { return this.waiting.peek()?.wakeAt ?? null }

  private wakeDue(now: number) {
    let top = this.waiting.peek()
    while (top && top.wakeAt <= now) {
      this.waiting.pop()
      top.wakeAt = 0
      if (top.parked) { top.parked = false; this.parkedCount-- } else if (top.status === 'cooling') { this.setStatus(top, 'active'); top.cooldownUntil = 0; this.onWake(top) }
      if (top.status === 'active') this.enterRing(top)
      top = this.waiting.peek()
    }
  }

  add(k: PoolKey) {
    this.byId.set(k.id, k)
    this.affinity?.add(k)
    this.counts[k.status]++
    this.place(k)
  }

  delete(id: number) {
    const k = this.byId.get(id)
    if (!k) return
    this.leaveRing(k)
    this.waiting.remove(k)
    if (k.parked) { k.parked = false; this.parkedCount-- }
    if (k.held) { k.held = false; this.heldCount-- }
    this.counts[k.status]--
    this.byId.delete(id)
    this.affinity?.delete(k)
  }

  /** Moves a key to `status` and puts it where that status belongs (ring, heap, or neither). */
  transition(k: PoolKey, status: KeyStatus, cooldownUntil = 0) {
    this.setStatus(k, status)
    k.cooldownUntil = status === 'cooling' ? cooldownUntil : 0
    if (k.parked) { k.parked = false; this.parkedCount-- }
    this.place(k)
  }

  /** Skips an active key until `until` (it is at a pacing window's limit); its status does not change. */
  park(k: PoolKey, until: number) {
    if (k.status !== 'active') return
    this.leaveRing(k)
    this.waiting.remove(k)
    if (!k.parked) this.parkedCount++
    k.parked = true
    k.wakeAt = until
    this.waiting.push(k)
  }

  /** Takes a key at key_concurrency out of the ring until `unhold` (no wake time: a request ending frees it). */
  hold(k: PoolKey) {
    if (k.held) return
    k.held = true
    this.heldCount++
    this.leaveRing(k)
  }

  /** Puts a held key back in rotation, unless something else (a cooldown, a window) keeps it out. */
  unhold(k: PoolKey) {
    if (!k.held) return
    k.held = false
    this.heldCount--
    if (k.status === 'active' && !k.parked && this.byId.get(k.id) === k) this.enterRing(k)
  }

  private setStatus(k: PoolKey, status: KeyStatus) {
    if (k.status === status) return
    this.counts[k.status]--
    this.counts[status]++
    k.status = status
  }

  private place(k: PoolKey) {
    this.waiting.remove(k)
    k.wakeAt = 0
    if (k.status === 'active') { this.enterRing(k); return }
    this.leaveRing(k)
    if (k.status === 'cooling') {
      k.wakeAt = k.cooldownUntil
      this.waiting.push(k)
    }
  }

  private enterRing(k: PoolKey) {
    if (k.slot >= 0) return
    k.slot = this.ring.length
    this.ring.push(k)
  }

  private leaveRing(k: PoolKey) {
    const i = k.slot
    if (i < 0) return
    const last = this.ring.pop()!
    k.slot = -1
    if (last !== k) {
      this.ring[i] = last
      last.slot = i
    }
  }
}
