import { AggregatorRegistry, Counter, Gauge, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import type { Metrics } from '../services/metrics'
import { isKgMessage, trySend, type IpcPort } from './port'

/**
 * /metrics with WORKERS > 1: the worker that takes the scrape asks the primary, the primary
 * collects every worker's metrics as data and sums them with prom-client's aggregation (each
 * metric says how: counters and histograms add up, the keys-by-state gauge is taken once), so
 * one scrape shows the whole instance. It adds what only the primary knows: live workers,
 * replacements, and requests per worker.
 */

type Snapshot = MetricObjectWithValues<MetricValue<string>>[]
type Ask = { kg: 'metrics:ask'; id: number }
type Answer = { kg: 'metrics:answer'; id: number; body?: string; contentType?: string; error?: string }
type Collect = { kg: 'metrics:collect'; id: number }
type Part = { kg: 'metrics:part'; id: number; metrics?: Snapshot }

/** A worker that has not sent its part by then is left out of this scrape. */
const COLLECT_TIMEOUT_MS = 3_000

/** Worker side: answers the primary's collection, and renders /metrics through the primary. */
export function clusterMetrics(primary: IpcPort, local: Metrics): { render: Metrics['render']; close(): void } {
  let seq = 0
  const waiting = new Map<number, (a: Answer) => void>()
  const onMessage = (m: unknown) => {
    if (!isKgMessage(m)) return
    if (m.kg === 'metrics:collect') {
      const id = (m as Collect).id
      local.snapshot().then(
        metrics => trySend(primary, { kg: 'metrics:part', id, metrics } satisfies Part),
        () => trySend(primary, { kg: 'metrics:part', id } satisfies Part),
      )
    } else if (m.kg === 'metrics:answer') {
      const a = m as Answer
      waiting.get(a.id)?.(a)
      waiting.delete(a.id)
    }
  }
  primary.on('message', onMessage)
  return {
    render() {
      const id = seq++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiting.delete(id); reject(new Error('the primary process did not answer the metrics request')) }, COLLECT_TIMEOUT_MS * 2)
        waiting.set(id, (a) => {
          clearTimeout(timer)
          if (a.error !== undefined || a.body === undefined) reject(new Error(`metrics: ${a.error ?? 'no answer'}`))
          else resolve({ contentType: a.contentType ?? 'text/plain', body: a.body })
        })
        if (!trySend(primary, { kg: 'metrics:ask', id } satisfies Ask)) {
          clearTimeout(timer)
          waiting.delete(id)
          reject(new Error('metrics: the channel to the primary process is closed'))
        }
      })
    },
    close() { primary.off('message', onMessage) },
  }
}

export interface MetricsHub {
  attach(worker: IpcPort, workerId: number): void
  detach(worker: IpcPort): void
  workerReplaced(): void
}

/** Primary side: sums the workers' metrics for whichever worker was scraped. */
export function createMetricsHub(liveWorkers: () => number): MetricsHub {
  const workers = new Map<IpcPort, { id: number; listener: (m: unknown) => void }>()
  const collecting = new Map<number, { parts: Map<IpcPort, Snapshot>; done: () => void }>()
  let seq = 0
  let replacements = 0

  async function collect(): Promise<Map<IpcPort, Snapshot>> {
    const id = seq++
    const parts = new Map<IpcPort, Snapshot>()
    const asked = [...workers.keys()].filter(w => trySend(w, { kg: 'metrics:collect', id } satisfies Collect))
    if (!asked.length) return parts
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS)
      const done = () => {
        if (parts.size < asked.filter(w => workers.has(w)).length) return
        clearTimeout(timer)
        resolve()
      }
      collecting.set(id, { parts, done })
    })
    collecting.delete(id)
    return parts
  }

  async function render(): Promise<{ body: string; contentType: string }> {
    const parts = await collect()
    const registry = AggregatorRegistry.aggregate([...parts.values()])
    const perWorker = new Counter({
      name: 'keygate_worker_requests_total', help: 'Proxy requests answered, by worker process (WORKERS > 1)', labelNames: ['worker'], registers: [registry],
    })
    for (const [port, snapshot] of parts) {
      const requests = snapshot.find(m => m.name === 'keygate_requests_total')
      perWorker.inc({ worker: String(workers.get(port)?.id ?? 0) }, requests?.values.reduce((n, v) => n + v.value, 0) ?? 0)
    }
    new Gauge({ name: 'keygate_workers', help: 'Worker processes serving (WORKERS)', registers: [registry] }).set(liveWorkers())
    new Counter({ name: 'keygate_worker_replacements_total', help: 'Workers that died and were replaced', registers: [registry] }).inc(replacements)
    return { body: await registry.metrics(), contentType: registry.contentType }
  }

  return {
    attach(worker, workerId) {
      const listener = (m: unknown) => {
        if (!isKgMessage(m)) return
        if (m.kg === 'metrics:part') {
          const p = m as Part
          const c = collecting.get(p.id)
          if (!c) return
          if (p.metrics) c.parts.set(worker, p.metrics)
          else c.parts.set(worker, [])
          c.done()
        } else if (m.kg === 'metrics:ask') {
          const id = (m as Ask).id
          render().then(
            r => trySend(worker, { kg: 'metrics:answer', id, ...r } satisfies Answer),
            (err: Error) => trySend(worker, { kg: 'metrics:answer', id, error: err.message } satisfies Answer),
          )
        }
      }
      workers.set(worker, { id: workerId, listener })
      worker.on('message', listener)
    },
    detach(worker) {
      const w = workers.get(worker)
      if (!w) return
      workers.delete(worker)
      worker.off('message', w.listener)
      for (const c of collecting.values()) c.done()
    },
    workerReplaced() { replacements++ },
  }
}
