import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/**
 * SQLite WAL checkpoints on a worker thread. By default the connection that commits the
 * transaction which fills the WAL past 1,000 pages copies it back into the database file and
 * fsyncs both, there and then: on the event loop, a 10–15 ms stall every few seconds under load,
 * and about a fifth of what a request log row costs to write (bench/README.md). Here the main
 * connection never checkpoints (`wal_autocheckpoint = 0`); a second connection on a worker thread
 * runs a PASSIVE checkpoint every `intervalMs`, which never blocks the writer, and SQLite reuses
 * the WAL from its start once a checkpoint has caught up, so the file stays about one interval's
 * writes long. Should the worker fail, the main connection checkpoints for itself again.
 */

/** The worker, as CommonJS source: the built server has no separate file to point a Worker at. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
let db
try {
  const Database = require(workerData.driver)
  db = new Database(workerData.file, { fileMustExist: true })
} catch (err) {
  parentPort.postMessage({ ready: false, error: String(err && err.message || err) })
}
if (db) {
  parentPort.on('message', msg => {
    if (msg === 'close') { db.close(); parentPort.close(); return }
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)')
      parentPort.postMessage({ ok: true, walPages: r.log, checkpointed: r.checkpointed })
    } catch (err) {
      parentPort.postMessage({ ok: false, error: String(err && err.message || err) })
    }
  })
  parentPort.postMessage({ ready: true })
}
`

export type CheckpointResult = { ok: true; walPages: number; checkpointed: number } | { ok: false; error: string }

export type Checkpointer = {
  /** Runs one checkpoint now (after any in progress) and resolves with its result. */
  checkpoint(): Promise<CheckpointResult>
  /** Stops the timer, runs a last checkpoint and ends the worker. */
  stop(): Promise<void>
}

const DEFAULT_AUTOCHECKPOINT_PAGES = 1000

/**
 * Where the worker loads better-sqlite3 from: the same package the server uses. The built server
 * cannot ask `import.meta.url` (Nitro's bundle reports a virtual `/_entry.js`), so the entry
 * script's own folder (`.output/server`, with its traced node_modules) and the working directory
 * are tried too.
 */
function driverPath(): string {
  const bases = [import.meta.url, process.argv[1] && resolve(process.argv[1]), join(process.cwd(), 'index.js')]
  for (const base of bases) {
    if (!base) continue
    try { return createRequire(base).resolve('better-sqlite3') } catch { /* next */ }
  }
  throw new Error('better-sqlite3 not found from the server entry or the working directory')
}

export async function startCheckpointer(raw: Database.Database, opts: { intervalMs?: number; onError?: (err: Error) => void } = {}): Promise<Checkpointer> {
  const driver = driverPath()
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: raw.name } })
  worker.unref()
  let fallenBack = false
  const fallBack = (err: Error) => {
    if (fallenBack) return
    fallenBack = true
    clearInterval(timer)
    try { raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`) } catch { /* closed */ }
    opts.onError?.(err)
  }

  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { ready: boolean; error?: string }) => {
      if (m.ready) resolve()
      else {
        reject(new Error(`checkpoint worker cannot open ${raw.name}: ${m.error}`))
        void worker.terminate()
      }
    })
    worker.once('error', reject)
    worker.once('exit', code => reject(new Error(`checkpoint worker exited (${code}) before it was ready`)))
  })
  raw.pragma('wal_autocheckpoint = 0')

  // One checkpoint at a time; each caller gets the result of the one it queued.
  let queue: Promise<unknown> = Promise.resolve()
  const waiting: ((r: CheckpointResult) => void)[] = []
  worker.on('message', (r: CheckpointResult) => {
    waiting.shift()?.(r)
    if (!r.ok) fallBack(new Error(`WAL checkpoint failed: ${r.error}`))
  })
  worker.on('error', err => { fallBack(err); for (const w of waiting.splice(0)) w({ ok: false, error: err.message }) })
  worker.on('exit', () => { fallBack(new Error('checkpoint worker exited')); for (const w of waiting.splice(0)) w({ ok: false, error: 'worker exited' }) })

  const checkpoint = () => {
    const next = queue.then(() => new Promise<CheckpointResult>((resolve) => {
      if (fallenBack) { resolve({ ok: false, error: 'checkpoint worker stopped' }); return }
      waiting.push(resolve)
      worker.postMessage('checkpoint')
    }))
    queue = next
    return next
  }
  const timer = setInterval(() => { void checkpoint() }, opts.intervalMs ?? 1000)
  timer.unref()

  return {
    checkpoint,
    async stop() {
      clearInterval(timer)
      if (fallenBack) return
      await checkpoint()
      fallenBack = true // from here on an exit is expected
      const exited = new Promise(resolve => worker.once('exit', resolve))
      worker.postMessage('close')
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 2000).unref())])
      await worker.terminate()
      try { raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`) } catch { /* closed */ }
    },
  }
}
