import { openDb, runMigrations } from '../db/client'
import { appReady, instanceId, onShutdown, setApp, type AppContext } from './app'
import type { Config } from './config/schema'
import { ConfigError } from './config/schema'
import type { Logger } from './logger'
import { verifyEncryptionKey } from './services/encryptionCheck'
import { createKeyCipher } from './services/keyCipher'
import { onChange, startChangeFeed } from './services/changes'
import { startLogRetention } from './services/logRetention'
import { startRequestLogWriter } from './services/requestLog'
import { loadSettings } from './services/settings'
import { abortRunningTasks, recoverInterruptedTasks } from './services/tasks'
import { createStore } from './store'
import { startProxyEngine } from './proxy/start'

function describeTarget(config: Config) {
  return config.database.dialect === 'sqlite' ? `SQLite ${config.database.file}` : `MySQL ${config.database.url.replace(/\/\/[^@]*@/, '//***@')}`
}

/**
 * Opens the database and store, applies migrations, checks the encryption key, then starts the
 * subsystems in order. Requests wait on `lifecycle.readyPromise` until this resolves.
 */
export async function boot(config: Config, secrets: { authKey: string; encryptionKey: string }, log: Logger): Promise<AppContext> {
  const db = await openDb(config.database).catch((err: Error) => {
    throw new ConfigError(`DATABASE_DSN: cannot open ${describeTarget(config)}: ${err.message}`)
  })
  onShutdown('database', db.close)
  try {
    await runMigrations(db)
  } catch (err) {
    throw new ConfigError(`DATABASE_DSN: migrations failed on ${describeTarget(config)}: ${(err as Error).message}`)
  }
  const cipher = createKeyCipher(secrets.encryptionKey)
  await verifyEncryptionKey(db, cipher)

  const store = createStore(config.redisUrl, config.redisKeyPrefix)
  onShutdown('store', store.close)
  if (store.kind === 'redis') {
    await Promise.race([
      store.set('boot', instanceId, 10_000),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref()),
    ]).catch((err: Error) => { throw new ConfigError(`REDIS_DSN: cannot reach Redis: ${err.message}`) })
  }

  const ctx: AppContext = { config, authKey: secrets.authKey, db, store, cipher, log, instanceId }
  setApp(ctx)

  const stopFeed = await startChangeFeed(store, err => log.error({ err }, 'applying a change notice failed'))
  onShutdown('change feed', stopFeed)
  await loadSettings(db)
  onChange(c => c.type === 'settings' ? loadSettings(db).then(() => {}) : undefined)

  // Subsystems start here, in order (each registers its own onShutdown):
  // The log writer is registered first so that it shuts down last of them: whatever the proxy
  // logs while it winds down is still written.
  onShutdown('request log', startRequestLogWriter({ db, log }))
  onShutdown('request log retention', startLogRetention({ db, store, log, owner: instanceId }))
  await recoverInterruptedTasks(db, instanceId)
  onShutdown('tasks', () => abortRunningTasks())
  await startProxyEngine(ctx)
  log.info(`database: ${describeTarget(config)}; store: ${store.kind}`)
  appReady()
  return ctx
}
