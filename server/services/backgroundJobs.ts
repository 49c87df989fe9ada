import type { Logger } from '../logger'
import type { Store } from '../store/types'

/**
 * Runs `work` every `intervalMs` on exactly one instance of a cluster: the one holding the
 * job's lease in the Store. The lease outlives a slow run (renewed while it works) and passes
 * to another instance when its holder dies. Returns a stop function for shutdown.
 */
export function runUnderLease(
  opts: { store: Store; owner: string; log: Logger; name: string; intervalMs: () => number },
  work: (signal: AbortSignal) => Promise<void>,
): () => Promise<void> {
  const { store, owner, log, name } = opts
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const tick = async () => {
    const interval = opts.intervalMs()
    if (interval > 0 && !controller.signal.aborted) {
      const leaseMs = Math.max(30_000, interval * 2)
      if (await store.acquireLease(`job:${name}`, owner, leaseMs).catch(() => false)) {
        const renew = setInterval(() => { store.renewLease(`job:${name}`, owner, leaseMs).catch(() => {}) }, leaseMs / 3)
        try { await work(controller.signal) } catch (err) {
          if (!controller.signal.aborted) log.error({ err }, `background job ${name} failed`)
        } finally { clearInterval(renew) }
      }
    }
    if (!controller.signal.aborted) timer = setTimeout(() => { running = tick() }, Math.max(1000, interval || 60_000)).unref()
  }
  timer = setTimeout(() => { running = tick() }, 1000).unref()

  return async () => {
    controller.abort()
    clearTimeout(timer)
    await running
    await store.releaseLease(`job:${name}`, owner).catch(() => {})
  }
}
