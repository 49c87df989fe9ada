import type { Logger } from '../logger'
import { recordValidation, type KeyStateSink } from './keypool/transitions'
import type { PoolKey } from './keypool/types'
import { settingsOf, type GroupRegistry } from './registry'
import { validateKey } from './validation'

/**
 * One pass of the background re-validation: for every group whose interval has come round,
 * re-tests its invalid keys (at most `key_validation_concurrency` at a time) and restores those
 * that pass. Runs on the instance holding the job's lease; results reach the others by the bus.
 */
export async function revalidateInvalidKeys(registry: GroupRegistry, sink: KeyStateSink, lastRun: Map<number, number>, log: Logger, signal: AbortSignal, now = Date.now()) {
  for (const g of registry.byId.values()) {
    if (signal.aborted) return
    if (g.row.type === 'aggregate' || !g.row.enabled) continue
    const { settings } = settingsOf(g)
    const interval = settings.key_validation_interval_minutes * 60_000
    // A group's first pass comes one interval after this instance first sees it, so a key
    // banned a moment ago is not re-tested straight away.
    const last = lastRun.get(g.row.id)
    if (last === undefined) { lastRun.set(g.row.id, now); continue }
    if (interval <= 0 || now - last < interval) continue
    lastRun.set(g.row.id, now)
    if (!g.pool.counts.invalid) continue
    const invalid: PoolKey[] = []
    for (const k of g.pool.byId.values()) if (k.status === 'invalid') invalid.push(k)
    let restored = 0
    let next = 0
    const worker = async () => {
      while (next < invalid.length && !signal.aborted) {
        const k = invalid[next++]!
        const r = await validateKey(g.row, k.secret, { timeoutMs: settings.key_validation_timeout_seconds * 1000 })
        if (k.status !== 'invalid') continue
        recordValidation(g.pool, k, r.ok, r.error, sink)
        if (r.ok) restored++
      }
    }
    await Promise.all(Array.from({ length: Math.min(settings.key_validation_concurrency, invalid.length) }, worker))
    if (invalid.length) log.info(`key validation: group ${g.row.name}: ${restored} of ${invalid.length} invalid keys restored`)
  }
}
