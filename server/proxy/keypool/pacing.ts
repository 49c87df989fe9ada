import type { SettingsMap } from '../../../shared/settings'
import type { CounterCheck, Store } from '../../store/types'
import type { PeriodClock } from '../limits/periods'
import type { KeyPool } from './pool'
import type { PoolKey } from './types'

/**
 * Upstream-key pacing: keep each key under its provider's limits instead of learning them from
 * a 429. key_rpm, key_tpm and key_daily_requests are Store counters (exact across instances, one
 * atomic call per pick); key_concurrency counts this instance's requests on the key. A key at a
 * window's limit is parked until the window ends; one at key_concurrency is held until one of its
 * requests ends. Either way it leaves the pool's ring, so the next pick stays O(1) however many
 * keys are parked. With queue_timeout_ms a request that finds every key parked waits, first come
 * first served, for the first to come free.
 */

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

export type PacingDeps = { store: Store; clock: PeriodClock }

export const isPaced = (s: SettingsMap) => s.key_rpm > 0 || s.key_tpm > 0 || s.key_concurrency > 0 || s.key_daily_requests > 0

/** One pick under the windows: the next key whose counters admit one more request, or null. */
async function pickOnce(deps: PacingDeps, pool: KeyPool, s: SettingsMap, estimatedTokens: number, now: number): Promise<PoolKey | null> {
  const bound = pool.usableCount + 1
  const minute = Math.floor(now / MINUTE_MS)
  const windows = s.key_rpm > 0 || s.key_tpm > 0 || s.key_daily_requests > 0
  const day = s.key_daily_requests > 0 ? deps.clock.window('day', s.budget_time_zone, now) : null
  for (let i = 0; i < bound; i++) {
    const k = pool.next(now)
    if (!k) return null
    if (s.key_concurrency > 0 && k.inFlight >= s.key_concurrency) { pool.hold(k); continue }
    if (windows) {
      const checks: CounterCheck[] = []
      const ends: number[] = []
      if (s.key_rpm > 0) { checks.push({ key: `key-rpm:${k.id}:${minute}`, limit: s.key_rpm, need: 1, add: 1, ttlMs: MINUTE_MS + 1000 }); ends.push((minute + 1) * MINUTE_MS) }
      if (s.key_tpm > 0) {
        checks.push({ key: `key-tpm:${k.id}:${minute}`, limit: s.key_tpm, need: Math.min(Math.max(1, estimatedTokens), s.key_tpm), add: 0, ttlMs: MINUTE_MS + 1000 })
        ends.push((minute + 1) * MINUTE_MS)
      }
      if (day) { checks.push({ key: `key-day:${k.id}:${day.start}`, limit: s.key_daily_requests, need: 1, add: 1, ttlMs: day.end! - now + DAY_MS }); ends.push(day.end!) }
      let refused = -1
      // An unreachable store leaves the key usable: pacing fails open, as the proxy-key limits do.
      try { refused = await deps.store.admitCounters(checks) } catch {}
      if (refused >= 0) { pool.park(k, ends[refused]!); continue }
    }
    if (s.key_concurrency > 0) {
      k.inFlight++
      if (k.inFlight >= s.key_concurrency) pool.hold(k)
    }
    return k
  }
  return null
}

/** Something will free a key later: a parked key's window ends or a held key's request does. */
const canFree = (pool: KeyPool) => pool.parkedCount > 0 || pool.heldCount > 0

/** Wakes the next waiter when a key is usable now, else sets the timer for the next wake-up. */
function signal(pool: KeyPool) {
  if (!pool.waiters.size) return
  if (pool.hasUsable(Date.now())) { pool.waiters.wakeOne(); return }
  pool.waiters.armAt(pool.nextWake(), () => signal(pool))
}

/**
 * The next key under the group's pacing, waiting up to queue_timeout_ms (behind earlier waiters)
 * when every key is parked. `gone` ends the wait early (the client left).
 */
export async function pickPacedKey(
  deps: PacingDeps, pool: KeyPool, s: SettingsMap, estimatedTokens: number, gone: () => boolean,
): Promise<PoolKey | null> {
  const started = Date.now()
  const deadline = started + s.queue_timeout_ms
  let queued = false
  for (;;) {
    // Arrivals queue behind those already waiting, so the queue drains in order.
    if (queued || !pool.waiters.busy || s.queue_timeout_ms <= 0) {
      const k = await pickOnce(deps, pool, s, estimatedTokens, Date.now())
      if (queued) pool.waiters.settle()
      if (k) {
        if (queued) signal(pool)
        return k
      }
    }
    const left = deadline - Date.now()
    if (s.queue_timeout_ms <= 0 || left <= 0 || gone() || !canFree(pool)) {
      if (queued) signal(pool)
      return null
    }
    const wait = pool.waiters.wait(left, queued)
    queued = true
    signal(pool)
    if (!(await wait)) return null
  }
}

/** A paced request ended: frees its concurrency slot and counts its tokens against key_tpm. */
export function releasePacedKey(deps: PacingDeps, pool: KeyPool, k: PoolKey, s: SettingsMap, tokens: number) {
  if (s.key_concurrency > 0 && k.inFlight > 0) {
    k.inFlight--
    if (k.held && k.inFlight < s.key_concurrency) pool.unhold(k)
  }
  if (s.key_tpm > 0 && tokens > 0) {
    const minute = Math.floor(Date.now() / MINUTE_MS)
    deps.store.addCounters([{ key: `key-tpm:${k.id}:${minute}`, by: tokens, ttlMs: MINUTE_MS + 1000 }]).catch(() => {})
  }
  signal(pool)
}
