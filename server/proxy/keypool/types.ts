import type { KeyStatus } from '../../../shared/types/rows'

/**
 * One upstream key as the engine holds it. The pool owns `slot`/`heapSlot`/`wakeAt`;
 * transitions own the rest. `dbStatus` is what the database last said (or what we last wrote),
 * so a reload can tell an admin's change from our own pending one.
 */
export type PoolKey = {
  readonly id: number
  readonly groupId: number
  secret: string
  masked: string
  status: KeyStatus
  dbStatus: KeyStatus
  consecutiveFailures: number
  /** Epoch ms when a cooling key is usable again (0 when not cooling). */
  cooldownUntil: number
  lastError: string | null
  /** Index in the pool's usable ring, -1 when not in it. */
  slot: number
  /** Index in the pool's wake-up heap, -1 when not waiting. */
  heapSlot: number
  /** When a waiting key (cooling, or parked over key_rpm) becomes usable. */
  wakeAt: number
  /** Parked for going over key_rpm, key_tpm or key_daily_requests: still `active`, just skipped until `wakeAt`. */
  parked: boolean
  /** At key_concurrency: out of the ring until one of its requests ends (KeyPool.unhold). */
  held: boolean
  /** This instance's requests in flight on the key (counted only while key_concurrency applies). */
  inFlight: number
  /** The last paged reload that saw this key's row (keys it did not see were deleted). */
  seenInReload: number
  /** Index in its bucket of the pool's AffinityIndex, -1 when not indexed. */
  affinitySlot: number
}

export function newPoolKey(init: {
  id: number
  groupId: number
  secret: string
  masked: string
  status: KeyStatus
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
}): PoolKey {
  return {
    id: init.id, groupId: init.groupId, secret: init.secret, masked: init.masked,
    status: init.status, dbStatus: init.status, consecutiveFailures: init.consecutiveFailures,
    cooldownUntil: init.cooldownUntil ?? 0, lastError: init.lastError,
    slot: -1, heapSlot: -1, wakeAt: 0, parked: false, held: false, inFlight: 0, seenInReload: 0, affinitySlot: -1,
  }
}
