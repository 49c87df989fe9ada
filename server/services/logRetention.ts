import type { Db } from '../../db/client'
import type { Logger } from '../logger'
import type { Store } from '../store/types'
import { runUnderLease } from './backgroundJobs'
import type { Settings } from './settings'

/**
 * Deletes request logs older than `request_log_retention_days` (0 keeps them), hourly, on one
 * instance of the cluster. Deletes go in bounded batches with a pause between them, so a first
 * run over millions of rows neither holds a long lock nor stalls the proxy.
 */

const DAY_MS = 86_400_000
const RUN_EVERY_MS = 3_600_000
const DELETE_BATCH = 5000

/** Deletes rows with `time < cutoff`; returns how many. Stops early when `signal` aborts. */
export async function deleteRequestLogsBefore(handle: Db, cutoff: number, signal?: AbortSignal): Promise<number> {
  let total = 0
  for (;;) {
    if (signal?.aborted) return total
    let n: number
    if (handle.dialect === 'sqlite') {
      n = handle.raw.prepare('DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE time < ? LIMIT ?)').run(cutoff, DELETE_BATCH).changes
    } else {
      const [res] = await handle.pool.query('DELETE FROM request_logs WHERE time < ? LIMIT ?', [cutoff, DELETE_BATCH])
      n = (res as { affectedRows: number }).affectedRows
    }
    total += n
    if (n < DELETE_BATCH) return total
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Starts the hourly retention job; returns the stop function for shutdown. */
export function startLogRetention(opts: { db: Db; store: Store; log: Logger; owner: string; settings: Pick<Settings, 'current'> }): () => Promise<void> {
  const retentionDays = () => opts.settings.current().request_log_retention_days
  return runUnderLease(
    { store: opts.store, owner: opts.owner, log: opts.log, name: 'request-log-retention', intervalMs: () => retentionDays() > 0 ? RUN_EVERY_MS : 0 },
    async (signal) => {
      const days = retentionDays()
      if (days <= 0) return
      const deleted = await deleteRequestLogsBefore(opts.db, Date.now() - days * DAY_MS, signal)
      if (deleted) opts.log.info(`request log retention: deleted ${deleted} records older than ${days} days`)
    },
  )
}
