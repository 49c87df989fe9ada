import type { Logger } from '../../logger'
import type { EngineData, KeyStateUpdate } from '../ports'
import type { PoolKey } from './types'

export type KeyStateWriter = {
  /** Queues the key's current state for the next batch (never blocks the request). */
  persist(k: PoolKey): void
  flush(): Promise<void>
  /** Stops the timer and writes what is still pending (shutdown). */
  stop(): Promise<void>
  pending(): number
}

const BATCH = 500

/**
 * Key state reaches the database asynchronously, in batches, off the request path. A row is
 * written only while it still holds the status we last knew, so an admin's change made in the
 * meantime (disable, restore) is never overwritten by a late cooldown or ban.
 */
export function createKeyStateWriter(data: Pick<EngineData, 'writeKeyStates'>, log: Logger, intervalMs = 500): KeyStateWriter {
  const queue = new Map<number, PoolKey>()
  let flushing: Promise<void> = Promise.resolve()

  async function flushOnce() {
    while (queue.size) {
      const batch: PoolKey[] = []
      for (const k of queue.values()) {
        batch.push(k)
        if (batch.length >= BATCH) break
      }
      for (const k of batch) queue.delete(k.id)
      const updates: KeyStateUpdate[] = batch.map(k => ({
        id: k.id, expectedStatus: k.dbStatus, status: k.status, consecutiveFailures: k.consecutiveFailures,
        cooldownUntil: k.status === 'cooling' ? k.cooldownUntil : null, lastError: k.lastError,
      }))
      try {
        const written = await data.writeKeyStates(updates)
        for (let i = 0; i < batch.length; i++) if (written.has(batch[i]!.id)) batch[i]!.dbStatus = updates[i]!.status
      } catch (err) {
        // Put them back for the next round; state in memory stays authoritative meanwhile.
        for (const k of batch) if (!queue.has(k.id)) queue.set(k.id, k)
        log.error({ err }, 'writing key states failed; will retry')
        return
      }
    }
  }

  const flush = () => (flushing = flushing.then(flushOnce, flushOnce))
  const timer = setInterval(() => { if (queue.size) void flush() }, intervalMs)
  timer.unref()

  return {
    persist(k) { queue.set(k.id, k) },
    flush,
    async stop() {
      clearInterval(timer)
      await flush()
    },
    pending: () => queue.size,
  }
}
