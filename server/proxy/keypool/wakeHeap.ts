import type { PoolKey } from './types'

/** Binary min-heap of waiting keys by `wakeAt`; each key knows its index, so removal is O(log n). */
export class WakeHeap {
  private items: PoolKey[] = []

  get size() { return this.items.length }
  peek(): PoolKey | undefined { return this.items[0] }

  push(k: PoolKey) {
    k.heapSlot = this.items.length
    this.items.push(k)
    this.up(k.heapSlot)
  }

  pop(): PoolKey | undefined {
    const top = this.items[0]
    if (top) this.remove(top)
    return top
  }

  remove(k: PoolKey) {
    const i = k.heapSlot
    if (i < 0) return
    const last = this.items.pop()!
    k.heapSlot = -1
    if (last === k) return
    this.items[i] = last
    last.heapSlot = i
    this.down(i)
    this.up(last.heapSlot)
  }

  private up(i: number) {
    const a = this.items
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p]!.wakeAt <= a[i]!.wakeAt) break
      this.swap(i, p)
      i = p
    }
  }

  private down(i: number) {
    const a = this.items
    for (;;) {
      const l = 2 * i + 1, r = l + 1
      let m = i
      if (l < a.length && a[l]!.wakeAt < a[m]!.wakeAt) m = l
      if (r < a.length && a[r]!.wakeAt < a[m]!.wakeAt) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }

  private swap(i: number, j: number) {
    const a = this.items
    const t = a[i]!
    a[i] = a[j]!
    a[j] = t
    a[i]!.heapSlot = i
    a[j]!.heapSlot = j
  }
}
