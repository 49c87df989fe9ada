import cluster, { type Worker } from 'node:cluster'
import { ConfigError, parseConfig, resolveSecrets, type Config } from '../config'
import { openDatabase } from '../core/storage'
import { createTeardown } from '../core/teardown'
import { createLogger, type Logger } from '../logger'
import { reportLostLogRows } from '../services/logJournal'
import { recoverInterruptedTasks } from '../services/tasks'
import { createStoreHost, type StoreHost } from '../store/ipcHost'
import { createMemoryStore } from '../store/memory'
import type { Store } from '../store/types'
import { createMetricsHub } from './metrics'
import { isKgMessage, type IpcPort } from './port'
import { createSlotLender } from './slots'
import { WORKER_ID_ENV, WORKER_READY } from './worker'

/**
 * The primary process of WORKERS > 1 (node:cluster): it serves no requests. It applies the
 * migrations and resolves the secrets once, before any worker starts; holds the one in-process
 * store the workers share over IPC when there is no Redis; lends the slots of the concurrency
 * limits (server/cluster/slots.ts); sums /metrics over the workers;
 * replaces a worker that dies; and on SIGTERM drains every worker before it exits.
 */

/** A replacement that fails to boot is retried after this long (the database may be back by then). */
const REBOOT_DELAY_MS = 5_000

function fail(message: string): never {
  process.stderr.write(`keygate: ${message}\n`)
  process.exit(1)
}

/** Parses the environment once; a bad one stops here with the one-line message the single process prints. */
export function readConfig(): Config {
  try {
    return parseConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
}

export async function runPrimary(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, config.logFormat)
  let secrets: ReturnType<typeof resolveSecrets>
  try {
    secrets = resolveSecrets(config)
    await prepareDatabase(config, secrets, log)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    fail(`startup failed: ${(err as Error)?.stack ?? err}`)
  }

  reportLostLogRows(config.dataDir, log)
  // With Redis the workers use it directly, as separate instances do.
  const store: Store | undefined = config.redisUrl ? undefined : createMemoryStore()
  const storeHost: StoreHost | undefined = store && createStoreHost(store)
  const live = new Map<number, Worker>()
  const metricsHub = createMetricsHub(() => live.size)
  const slotLender = createSlotLender()
  let draining = false
  let booted = false
  const pendingBoot = new Set<number>()

  function start(slot: number, replacement: boolean) {
    const worker = cluster.fork({ [WORKER_ID_ENV]: String(slot) })
    const port = worker as unknown as IpcPort
    let ready = false
    live.set(slot, worker)
    storeHost?.attach(port)
    slotLender.attach(port)
    worker.on('message', (m: unknown) => {
      if (!isKgMessage(m) || m.kg !== WORKER_READY || ready) return
      ready = true
      // Scrapes ask only booted workers: one still starting has nothing to count and would hold the scrape up.
      metricsHub.attach(port, slot)
      pendingBoot.delete(slot)
      if (replacement) log.info(`worker ${slot} replaced (pid ${worker.process.pid})`)
      if (!booted && !pendingBoot.size) {
        booted = true
        announceReady(config, secrets, log)
      }
    })
    worker.on('exit', (code, signal) => {
      storeHost?.detach(port)
      metricsHub.detach(port)
      slotLender.detach(port)
      if (live.get(slot) === worker) live.delete(slot)
      if (draining) return
      const how = signal ? `signal ${signal}` : `code ${code}`
      if (!booted) {
        // The first boot failing is the configuration or the database: the worker printed why; stop as one process would.
        log.error(`worker ${slot} exited with ${how} while starting; stopping`)
        void stopAll(1)
        return
      }
      metricsHub.workerReplaced()
      reportLostLogRows(config.dataDir, log)
      if (!ready) {
        log.error(`worker ${slot} exited with ${how} while starting; retrying in ${REBOOT_DELAY_MS / 1000}s`)
        setTimeout(() => { if (!draining) start(slot, true) }, REBOOT_DELAY_MS)
        return
      }
      log.error(`worker ${slot} (pid ${worker.process.pid}) exited with ${how}; its in-flight requests are lost; starting a replacement`)
      start(slot, true)
    })
  }

  async function stopAll(exitCode: number) {
    if (draining) return
    draining = true
    const workers = [...live.values()]
    for (const w of workers) w.process.kill('SIGTERM')
    // The workers drain for SHUTDOWN_TIMEOUT themselves; past that and a margin they are killed.
    const deadline = setTimeout(() => { for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL') }, config.shutdownTimeoutSeconds * 1000 + 5_000)
    await Promise.all(workers.map(w => w.isDead() ? undefined : new Promise(r => w.once('exit', r))))
    clearTimeout(deadline)
    await store?.close()
    if (exitCode === 0) log.info('shutdown complete')
    log.flush?.()
    process.exit(exitCode)
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (draining) return
      log.info(`${signal}: draining ${live.size} workers (up to ${config.shutdownTimeoutSeconds}s)`)
      void stopAll(0)
    })
  }

  for (let slot = 1; slot <= config.workers; slot++) {
    pendingBoot.add(slot)
    start(slot, false)
  }
  log.info(`primary process ${process.pid}: starting ${config.workers} workers; store: ${store ? 'in the primary, over IPC' : 'redis'}`)
}

/** Migrations, the ENCRYPTION_KEY check and the cleanup of tasks a previous run left, once for all workers. */
async function prepareDatabase(config: Config, secrets: { encryptionKey: string }, log: Logger) {
  const teardown = createTeardown(log)
  try {
    const { db } = await openDatabase(config, secrets, teardown)
    await recoverInterruptedTasks(db, `primary-${process.pid}`)
  } finally {
    await teardown.run()
  }
}

function announceReady(config: Config, secrets: ReturnType<typeof resolveSecrets>, log: Logger) {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const url = `http://${host}:${config.port}/`
  log.info(`Keygate is ready with ${config.workers} workers. Console: ${url}`)
  if (secrets.generatedAuthKey) {
    process.stdout.write(`\n  Console:   ${url}\n  Admin key: ${secrets.authKey}\n  (generated once into ${config.dataDir}/auth-key; set AUTH_KEY to choose your own)\n\n`)
  } else if (!config.authKey) {
    log.info(`admin key: in ${config.dataDir}/auth-key`)
  }
}
