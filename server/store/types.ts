/**
 * One counter of an atomic admission: it fits when `value + need <= limit` (or, with `need` 0,
 * when `value < limit`: a spent budget); on admission `add` is added (0: checked only).
 */
export type CounterCheck = { key: string; limit: number; need: number; add: number; ttlMs: number }

/**
 * The coordination store: in-process for one instance, Redis for a cluster, the primary's in-process
 * store over IPC for the workers of one instance (WORKERS > 1). Every method has
 * the same meaning on all three (tests/unit/store/conformance.test.ts runs one suite on each).
 */
export interface Store {
  readonly kind: 'memory' | 'redis' | 'ipc'

  /** Plain values with an optional time to live (sessions, caches). */
  get(key: string): Promise<string | null>
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** Sets only when absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  del(key: string): Promise<void>

  /** Counter: adds `by`, starts the expiry on the first increment of a window; returns the new value. */
  incr(key: string, by: number, ttlMs: number): Promise<number>

  /**
   * Check-and-increment over several counters in one atomic step (one round trip on Redis, so
   * exact across instances): when every check fits, adds each `add` and answers -1; otherwise
   * changes nothing and answers the index of the first check that does not fit. Values may be
   * fractional (USD). A `ttlMs` of 0 keeps the counter without expiry.
   */
  admitCounters(checks: CounterCheck[]): Promise<number>
  /** Adds to several counters at once (fractions allowed); each starts its expiry on its first addition. */
  addCounters(adds: { key: string; by: number; ttlMs: number }[]): Promise<void>
  /** The counters' current values (0 for one that does not exist). */
  readCounters(keys: string[]): Promise<number[]>

  /** Lists for rotation: replace the whole list, append, remove every occurrence, read all. */
  listReplace(key: string, items: string[]): Promise<void>
  listPush(key: string, ...items: string[]): Promise<void>
  listRemove(key: string, item: string): Promise<void>
  listAll(key: string): Promise<string[]>
  /** Atomically moves the head of the list to its tail and returns it (null when empty). */
  rotate(key: string): Promise<string | null>

  /** Leases: one owner at a time, lost unless renewed before `ttlMs` passes. */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>
  renewLease(name: string, owner: string, ttlMs: number): Promise<boolean>
  releaseLease(name: string, owner: string): Promise<void>

  /** Fire-and-forget messages to every instance, this one included. */
  publish(channel: string, message: string): Promise<void>
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>

  close(): Promise<void>
}
