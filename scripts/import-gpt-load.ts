// `npm run import:gpt-load -- --dsn <GPT-Load DATABASE_DSN> --encryption-key <its ENCRYPTION_KEY, or empty>`
// Imports a GPT-Load database into the Keygate database configured by the usual environment
// (DATABASE_DSN, DATA_DIR, ENCRYPTION_KEY, REDIS_DSN). Safe to run twice: nothing is added again.
import { parseArgs } from 'node:util'
import { openDb, runMigrations } from '../db/client'
import { ConfigError, parseConfig, resolveSecrets } from '../server/config'
import { startChangeFeed } from '../server/services/changes'
import { verifyEncryptionKey } from '../server/services/encryptionCheck'
import { importFromGptLoad, openSource } from '../server/services/gptLoadImport'
import { createKeyCipher } from '../server/services/keyCipher'
import { loadSettings } from '../server/services/settings'
import { createStore } from '../server/store'

async function main() {
  const { values } = parseArgs({ options: { 'dsn': { type: 'string' }, 'encryption-key': { type: 'string', default: '' }, 'help': { type: 'boolean' } } })
  if (values.help || !values.dsn) {
    process.stderr.write('usage: npm run import:gpt-load -- --dsn <GPT-Load DATABASE_DSN or SQLite file> [--encryption-key <GPT-Load ENCRYPTION_KEY>]\n')
    process.exit(values.help ? 0 : 2)
  }
  const config = parseConfig(process.env)
  const secrets = resolveSecrets(config)
  const db = await openDb(config.database)
  const store = createStore(config.redisUrl, config.redisKeyPrefix)
  try {
    await runMigrations(db)
    const cipher = createKeyCipher(secrets.encryptionKey)
    await verifyEncryptionKey(db, cipher)
    // Running instances hear about the import through the change feed (cluster: Redis).
    const stopFeed = await startChangeFeed(store, () => {})
    await loadSettings(db)
    const source = await openSource(values.dsn)
    try {
      const report = await importFromGptLoad(db, cipher, source, values['encryption-key'] ?? '', line => process.stderr.write(`import: ${line}\n`))
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
      if (store.kind === 'memory') process.stderr.write('import: done. Restart Keygate (or wait for its next reload) so a running instance without Redis picks up the imported data.\n')
    } finally {
      await source.close()
      await stopFeed()
    }
  } finally {
    await store.close()
    await db.close()
  }
}

main().catch((err) => {
  process.stderr.write(`import:gpt-load: ${err instanceof ConfigError ? err.message : (err as Error)?.message ?? err}\n`)
  process.exit(1)
})
