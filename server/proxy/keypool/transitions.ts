import type { KeyStatus } from '../../../shared/types/rows'
import type { Verdict } from '../classify'
import type { KeyPool } from './pool'
import type { PoolKey } from './types'

/** Where state changes go: the database (later, in batches) and the other instances (now). */
export type KeyStateSink = {
  persist(k: PoolKey): void
  broadcast(k: PoolKey): void
}

/** A success clears the run of failures; nothing is written unless there was a run to clear. */
export function recordSuccess(pool: KeyPool, k: PoolKey, sink: KeyStateSink) {
  if (k.consecutiveFailures === 0 && k.lastError === null) return
  k.consecutiveFailures = 0
  k.lastError = null
  sink.persist(k)
  void pool
}

/**
 * Applies a failed attempt's verdict (CONTRACT §2): cooling until the reset time; invalid at once
 * for ban statuses; invalid after `blacklistThreshold` consecutive key-blaming failures.
 */
export function recordFailure(pool: KeyPool, k: PoolKey, v: Verdict, blacklistThreshold: number, error: string, sink: KeyStateSink) {
  if (v.kind === 'none') return
  // An admin's disable (or a ban decided elsewhere) is not undone by a late answer.
  if (k.status === 'disabled' || k.status === 'invalid') return
  k.lastError = error.slice(0, 500)
  const before: KeyStatus = k.status
  if (v.kind === 'cooldown') {
    pool.transition(k, 'cooling', v.until)
  } else if (v.kind === 'ban') {
    k.consecutiveFailures++
    pool.transition(k, 'invalid')
  } else {
    k.consecutiveFailures++
    if (k.consecutiveFailures >= blacklistThreshold) pool.transition(k, 'invalid')
  }
  sink.persist(k)
  if (k.status !== before || v.kind === 'cooldown') sink.broadcast(k)
}

/** A cooling key whose time has come back: write it down so the console shows it active. */
export function recordWake(k: PoolKey, sink: KeyStateSink) {
  sink.persist(k)
}

export type RemoteKeyState = { groupId: number; keyId: number; status: KeyStatus; cooldownUntil: number; consecutiveFailures: number }

/** Another instance changed a key: apply it here (it writes the database, not us). */
export function applyRemoteState(pool: KeyPool, k: PoolKey, m: RemoteKeyState) {
  if (k.status === 'disabled' && m.status !== 'disabled') return
  k.consecutiveFailures = m.consecutiveFailures
  k.dbStatus = m.status
  if (k.status !== m.status || (m.status === 'cooling' && k.cooldownUntil !== m.cooldownUntil)) pool.transition(k, m.status, m.cooldownUntil)
}
