import { openDb, runMigrations, type Db } from '../../db/client'
import type { IpcPort } from '../cluster/port'
import { ConfigError, type Config } from '../config/schema'
import type { Logger } from '../logger'
import { createChangeFeed, type ChangeFeed } from '../services/changes'
import { createKeyCipher, verifyEncryptionKey, type KeyCipher } from '../services/keys'
import { createSettings, type Settings } from '../services/settings'
import { createStore, type Store } from '../store'
import { createTeardown, type Teardown } from './teardown'

/** The data side of Keygate: what the server and the CLIs (imports) both need. */
export type Storage = {
  db: Db
  store: Store
  cipher: KeyCipher
  changes: ChangeFeed
  settings: Settings
  /** Closes the change feed, the store and the database, in that order. */
  close(): Promise<void>
}

export function describeDatabase(config: Config) {
  return config.database.dialect === 'sqlite' ? `SQLite ${config.database.file}` : `MySQL ${config.database.url.replace(/\/\/[^@]*@/, '//***@')}`
}

/**
 * Opens the database (applying migrations), checks ENCRYPTION_KEY against it, opens the store
 * (checking that Redis answers), starts following change notices and loads the settings. A
 * problem the operator must fix is a ConfigError. Steps register their closing in `teardown`
 * (a fresh one when not given); on failure what was opened is closed again. In a worker process
 * (WORKERS > 1) without Redis, `primary` is the channel to the primary, whose store this one uses.
 */
export async function openStorage(
  config: Config,
  secrets: { encryptionKey: string },
  log: Logger,
  teardown: Teardown = createTeardown(log),
  opts: { primary?: IpcPort } = {},
): Promise<Storage> {
  try {
    const { db, cipher } = await openDatabase(config, secrets, teardown)
    const store = createStore(config.redisUrl, config.redisKeyPrefix, opts.primary)
    teardown.add('store', store.close)
    if (store.kind === 'redis') {
      await Promise.race([
        store.set('boot', String(process.pid), 10_000),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref()),
      ]).catch((err: Error) => { throw new ConfigError(`REDIS_DSN: cannot reach Redis: ${err.message}`) })
    }

    const changes = await createChangeFeed(store, err => log.error({ err }, 'applying a change notice failed'))
    teardown.add('change feed', changes.close)
    const settings = createSettings(db, changes)
    await settings.load()
    return { db, store, cipher, changes, settings, close: () => teardown.run() }
  } catch (err) {
    await teardown.run()
    throw err
  }
}

/** Opens the database, applies migrations and checks ENCRYPTION_KEY against it; `teardown` closes it. */
export async function openDatabase(
  config: Config,
  secrets: { encryptionKey: string },
  teardown: Teardown,
): Promise<{ db: Db; cipher: KeyCipher }> {
  const db = await openDb(config.database).catch((err: Error) => {
    throw new ConfigError(`DATABASE_DSN: cannot open ${describeDatabase(config)}: ${err.message}`)
  })
  teardown.add('database', db.close)
  try {
    await runMigrations(db)
  } catch (err) {
    throw new ConfigError(`DATABASE_DSN: migrations failed on ${describeDatabase(config)}: ${(err as Error).message}`)
  }
  const cipher = createKeyCipher(secrets.encryptionKey)
  await verifyEncryptionKey(db, cipher)
  return { db, cipher }
}
