type Waiter = { resolve: (woken: boolean) => void; timer: NodeJS.Timeout; done: boolean }

/**
 * Requests waiting for a pool's key to come free (queue_timeout_ms), served in arrival order: a
 * woken waiter that loses its key to another instance goes back to the front, not the end. One
 * timer follows the pool's next wake-up while anyone waits.
 */
export class WaitQueue {
  private items: Waiter[] = []
  private head = 0
  private timer: NodeJS.Timeout | null = null
  private timerAt = 0
  private live = 0

  /** Woken waiters that have not yet taken their turn (see settle). */
  private waking = 0

  /** Requests waiting now (timed-out ones not counted). */
  get size() { return this.live }
  /** Someone waits or was just woken: a new arrival must queue behind them. */
  get busy() { return this.live + this.waking > 0 }
  /** A woken waiter took its turn (got a key or queued again). */
  settle() { if (this.waking > 0) this.waking-- }

  /** Resolves true when woken, false when `timeoutMs` passes first. */
  wait(timeoutMs: number, front = false): Promise<boolean> {
    return new Promise((resolve) => {
      const w: Waiter = { resolve, done: false, timer: setTimeout(() => this.drop(w), Math.max(0, timeoutMs)) }
      this.live++
      if (front && this.head > 0) this.items[--this.head] = w
      else if (front) this.items.unshift(w)
      else this.items.push(w)
    })
  }

  /** Wakes the longest waiting request; false when none waits. */
  wakeOne(): boolean {
    while (this.head < this.items.length) {
      const w = this.items[this.head]!
      this.items[this.head++] = undefined as never
      if (w.done) continue
      this.compact()
      w.done = true
      this.live--
      this.waking++
      clearTimeout(w.timer)
      w.resolve(true)
      return true
    }
    this.compact()
    return false
  }

  /** Calls `fire` at `at` (the pool's next wake-up) unless an earlier call is already set. */
  armAt(at: number | null, fire: () => void) {
    if (at === null || this.size === 0) return
    if (this.timer && this.timerAt <= at) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => { this.timer = null; fire() }, Math.max(0, at - Date.now()))
    this.timer.unref?.()
  }

  private drop(w: Waiter) {
    if (w.done) return
    w.done = true
    this.live--
    w.resolve(false)
    // Timed-out waiters stay in place as tombstones and are skipped; the array is compacted as it drains.
    if (this.size === 0 && this.timer) { clearTimeout(this.timer); this.timer = null }
  }

  private compact() {
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}
