import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/client'
import { clusterMetrics } from '../cluster/metrics'
import { createSlotClient } from '../cluster/slots'
import type { WorkerLink } from '../cluster/worker'
import { ConfigError, type Config } from '../config/schema'
import type { Logger } from '../logger'
import { createProxyEngine } from '../proxy'
import type { EngineDeps, ProxyEngine } from '../proxy/ports'
import { createAuthLimiter, createSessions, type AuthLimiter } from '../services/auth'
import { runUnderLease } from '../services/backgroundJobs'
import type { ChangeFeed } from '../services/changes'
import { createConsumerKeyService, type ConsumerKeyService } from '../services/consumerKeys'
import { createGroupService, type GroupService } from '../services/groups'
import { createEngineData, createKeyService, type KeyCipher, type KeyService } from '../services/keys'
import { startLogRetention } from '../services/logRetention'
import { createMetrics, type Metrics } from '../services/metrics'
import { createPriceService, seedModelPrices, type PriceService } from '../services/prices'
import { createReadinessProbe, type ReadinessProbe } from '../services/readiness'
import { openLogJournal, reportLostLogRows } from '../services/logJournal'
import { createRequestLog, type RequestLog } from '../services/requestLog'
import type { Settings } from '../services/settings'
import { createTaskRunner, type TaskRunner } from '../services/tasks'
import type { Store } from '../store'
import { createLifecycle, type Lifecycle } from './lifecycle'
import { describeDatabase, openStorage } from './storage'
import { createTeardown } from './teardown'

export { createLifecycle, type Lifecycle } from './lifecycle'
export { openStorage, type Storage } from './storage'

/**
 * The composition root: builds every part of Keygate in order, hands each its dependencies, and
 * closes them in reverse order. The Nitro plugin (server/plugins/00.bootstrap.ts) and the CLIs
 * (scripts/) are its only callers; nothing else holds the parts.
 */

export type Keygate = {
  config: Config
  authKey: string
  instanceId: string
  log: Logger
  lifecycle: KeygateLifecycle
  db: Db
  store: Store
  cipher: KeyCipher
  changes: ChangeFeed
  settings: Settings
  metrics: Metrics
  requestLog: RequestLog
  /** What /ready reports about the database and Redis. */
  readiness: ReadinessProbe
  tasks: TaskRunner
  sessions: ReturnType<typeof createSessions>
  /** Counts wrong admin keys (login and bearer) per client and overall. */
  authLimiter: AuthLimiter
  engine: ProxyEngine
  groups: GroupService
  keys: KeyService
  consumerKeys: ConsumerKeyService
  prices: PriceService
  /** Tears everything down in reverse order of building; the request log is written out after the engine stopped. */
  close(): Promise<void>
}

export type KeygateLifecycle = Lifecycle<Keygate>

export type KeygateOptions = {
  /** Marked ready with the built app at the end (the plugin makes it first, to gate early requests). */
  lifecycle?: KeygateLifecycle
  instanceId?: string
  /** How the proxy engine is built (tests pass a fake). */
  createEngine?: (deps: EngineDeps) => Promise<ProxyEngine>
  /** Set in a worker process (WORKERS > 1): the primary holds the store and sums /metrics. */
  worker?: WorkerLink
}

/** Every minute: the lease holder re-tests invalid keys of the groups whose interval has come round. */
const KEY_VALIDATION_TICK_MS = 60_000

export async function createKeygate(
  config: Config,
  secrets: { authKey: string; encryptionKey: string },
  log: Logger,
  opts: KeygateOptions = {},
): Promise<Keygate> {
  // resolveSecrets refuses these; a caller that skipped it must not get an API anyone can open.
  if (secrets.authKey.trim().length < 8) throw new ConfigError('AUTH_KEY: must be at least 8 characters')
  const lifecycle = opts.lifecycle ?? createLifecycle<Keygate>()
  const instanceId = opts.instanceId ?? `${process.pid}-${randomUUID().slice(0, 8)}`
  const teardown = createTeardown(log)
  try {
    const worker = opts.worker
    const { db, store, cipher, changes, settings } = await openStorage(config, secrets, log, teardown, { primary: worker?.primary })
    const metrics = createMetrics()
    let scraped: Metrics = metrics
    if (worker) {
      const shared = clusterMetrics(worker.primary, metrics)
      teardown.add('cluster metrics', shared.close)
      scraped = { ...metrics, render: shared.render }
    }
    // With WORKERS > 1 the primary reports what dead workers lost; a lone process reports its predecessor's.
    if (!worker) reportLostLogRows(config.dataDir, log)
    const journal = openLogJournal(config.dataDir, log)
    teardown.add('request log journal', journal.close)
    // Built before the engine so it closes after it: what the proxy logs while winding down is still written.
    const requestLog = createRequestLog({ db, log, metrics, settings, journal })
    teardown.add('request log', requestLog.stop)
    teardown.add('request log retention', startLogRetention({ db, store, log, owner: instanceId, settings }))
    const tasks = createTaskRunner({ db, store, instanceId, log })
    // A worker's siblings may be running tasks: the primary recovered the previous run's before forking.
    if (!worker) await tasks.recoverInterrupted()
    const sessions = createSessions(store)
    const authLimiter = createAuthLimiter(store)

    await seedModelPrices(db, log)
    // Concurrency limits count across the workers (through the primary, with or without Redis).
    const slots = worker && createSlotClient(worker.primary, config.workers)
    if (slots) teardown.add('concurrency slots', slots.close)
    const engine = await (opts.createEngine ?? createProxyEngine)({
      data: createEngineData(db),
      changes: { subscribe: changes.subscribe },
      requestLog: { record: requestLog.record },
      metrics: { requestFinished: metrics.requestFinished, attempt: metrics.attempt },
      settings: { current: settings.current },
      secrets: { decrypt: cipher.decrypt, hash: cipher.hash },
      store,
      slots,
      log,
      options: {
        instanceId,
        maxConcurrentRequests: config.maxConcurrentRequests,
        maxRequestBodyBytes: config.maxRequestBodyBytes,
        requestBodyTimeoutMs: config.requestBodyTimeoutMs,
        maxBufferedBodyBytes: config.maxBufferedBodyBytes,
        proxyKeyMaxShare: config.proxyKeyMaxShare,
        trustProxy: config.trustProxy,
        cors: config.cors,
        outboundProxy: config.outboundProxy,
      },
    })
    teardown.add('proxy engine', () => engine.close())
    // Closed before the engine: a running validation task must not outlive the upstream connections.
    teardown.add('tasks', () => tasks.abortRunning())
    metrics.observeKeyStates(() => engine.keyCounts())

    const groups = createGroupService({ db, changes, settings })
    const consumerKeys = createConsumerKeyService({
      db, cipher, changes, counters: id => engine.proxyKeyCounters(id), timeZone: () => settings.current().budget_time_zone,
    })
    const prices = createPriceService({ db, changes })
    const keys = createKeyService({
      db, cipher, changes, settings, tasks, log,
      validate: (group, key, o) => engine.validateKey(group, key, o),
    })

    teardown.add('key validation', runUnderLease(
      { store, owner: instanceId, log, name: 'key-validation', intervalMs: () => KEY_VALIDATION_TICK_MS },
      keys.invalidKeyRevalidation(),
    ))

    log.info(`database: ${describeDatabase(config)}; store: ${store.kind}`)
    const keygate: Keygate = {
      config, authKey: secrets.authKey, instanceId, log, lifecycle,
      db, store, cipher, changes, settings, metrics: scraped, requestLog, tasks, sessions, authLimiter,
      engine, groups, keys, consumerKeys, prices, readiness: createReadinessProbe({ db, store, requestLog }),
      close: () => teardown.run(),
    }
    lifecycle.markReady(keygate)
    return keygate
  } catch (err) {
    lifecycle.markFailed(err)
    await teardown.run()
    throw err
  }
}
