import { readFileSync } from 'node:fs'
import { Client } from 'undici'
import { parsePrometheus, sample, type Sample } from './prometheus'
import type { RunningServer } from './server'

/**
 * Talking to one worker of a WORKERS > 1 server: the primary hands each new connection to the
 * next worker, so a client that keeps one connection open stays on one worker. Which worker is
 * found from /metrics (requests per worker) after one proxy request on that connection.
 */

export type Answer = { status: number; body: any; headers: Record<string, string | string[] | undefined> }

export type WorkerClient = {
  worker: string
  /** One request on this client's connection; returns status, headers and the parsed body. */
  call(method: string, path: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<Answer>
  close(): Promise<void>
}

/** /metrics on a fresh connection (a pooled one may lead to a worker a test just killed). */
export async function scrape(server: RunningServer): Promise<Sample[]> {
  const client = new Client(server.url)
  try {
    const r = await client.request({ method: 'GET', path: '/metrics' })
    return parsePrometheus(await r.body.text()).samples
  } finally { await client.close() }
}

export function perWorker(samples: Sample[]): Record<string, number> {
  return Object.fromEntries(samples.filter(s => s.name === 'keygate_worker_requests_total').map(s => [s.labels.worker!, s.value]))
}

function connect(server: RunningServer): Omit<WorkerClient, 'worker'> {
  // Idle connections are closed by the server after 5 s; keep the client's side longer than any test step.
  const client = new Client(server.url, { pipelining: 1, keepAliveTimeout: 60_000 })
  return {
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers }
      if (opts.body !== undefined) headers['content-type'] = 'application/json'
      const r = await client.request({ method: method as 'GET', path, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) })
      const text = await r.body.text()
      let body: any = text
      try { body = JSON.parse(text) } catch {}
      return { status: r.statusCode, body, headers: r.headers }
    },
    close: () => client.closed || client.destroyed ? Promise.resolve() : client.close(),
  }
}

/**
 * Requests per worker from one scrape that heard from all `workers` (a worker slow to answer the
 * primary's collection is left out of that scrape; ask again) and counted at least `atLeast` in all.
 */
async function settledCounts(server: RunningServer, workers: number, atLeast: number): Promise<Record<string, number>> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const counts = perWorker(await scrape(server))
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    if ((Object.keys(counts).length >= workers && total >= atLeast) || Date.now() > deadline) return counts
    await new Promise(r => setTimeout(r, 100))
  }
}

/**
 * One client per worker, found by probing with `probe` (a proxy request that succeeds). Gives up
 * after a few connections more than workers.
 */
export async function clientPerWorker(server: RunningServer, workers: number, probe: (c: Omit<WorkerClient, 'worker'>) => Promise<void>): Promise<WorkerClient[]> {
  const found = new Map<string, WorkerClient>()
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
  for (let tries = 0; found.size < workers && tries < workers * 6; tries++) {
    const before = await settledCounts(server, workers, 0)
    const c = connect(server)
    await probe(c)
    // A worker counts a request when its response has ended, which can be just after the client read it.
    const after = await settledCounts(server, workers, total(before) + 1)
    const hit = Object.keys(after).filter(w => after[w]! > (before[w] ?? 0))
    if (hit.length === 1 && !found.has(hit[0]!)) found.set(hit[0]!, { worker: hit[0]!, ...c })
    else await c.close()
  }
  if (found.size < workers) throw new Error(`reached ${found.size} of ${workers} workers`)
  return [...found.values()].sort((a, b) => a.worker.localeCompare(b.worker))
}

/** The worker processes of a server: the primary's child processes. */
export function workerPids(server: RunningServer): number[] {
  const pid = server.process.pid!
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
  return children ? children.split(/\s+/).map(Number) : []
}

export { sample }
