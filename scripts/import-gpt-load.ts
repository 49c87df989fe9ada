// `npm run import:gpt-load -- --dsn <GPT-Load DATABASE_DSN> --encryption-key <its ENCRYPTION_KEY, or empty>`
// Imports a GPT-Load database into the Keygate database configured by the usual environment
// (DATABASE_DSN, DATA_DIR, ENCRYPTION_KEY, REDIS_DSN). Safe to run twice: nothing is added again.
import { parseArgs } from 'node:util'
import { ConfigError, parseConfig, resolveSecrets } from '../server/config'
import { openStorage } from '../server/core/storage'
import { createLogger } from '../server/logger'
import { importFromGptLoad, openSource } from '../server/services/gptLoadImport'

async function main() {
  const { values } = parseArgs({ options: { 'dsn': { type: 'string' }, 'encryption-key': { type: 'string', default: '' }, 'help': { type: 'boolean' } } })
  if (values.help || !values.dsn) {
    process.stderr.write('usage: npm run import:gpt-load -- --dsn <GPT-Load DATABASE_DSN or SQLite file> [--encryption-key <GPT-Load ENCRYPTION_KEY>]\n')
    process.exit(values.help ? 0 : 2)
  }
  const config = parseConfig(process.env)
  const secrets = resolveSecrets(config)
  // Running instances hear about the import through the storage's change feed (cluster: Redis).
  const storage = await openStorage(config, secrets, createLogger('silent', 'json'))
  try {
    const source = await openSource(values.dsn)
    try {
      const report = await importFromGptLoad(storage, source, values['encryption-key'] ?? '', line => process.stderr.write(`import: ${line}\n`))
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
      if (storage.store.kind === 'memory') process.stderr.write('import: done. Restart Keygate (or wait for its next reload) so a running instance without Redis picks up the imported data.\n')
    } finally {
      await source.close()
    }
  } finally {
    await storage.close()
  }
}

main().catch((err) => {
  process.stderr.write(`import:gpt-load: ${err instanceof ConfigError ? err.message : (err as Error)?.message ?? err}\n`)
  process.exit(1)
})
