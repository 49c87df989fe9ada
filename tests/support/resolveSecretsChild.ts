// One start's secrets step in its own process, for the race test in tests/unit/config/secrets.test.ts:
// waits until the shared start time given as argv[3] (so the processes collide), resolves the
// secrets of DATA_DIR argv[2], and prints them as JSON (or the ConfigError as {"error"}).
import { parseConfig } from '../../server/config/schema'
import { resolveSecrets } from '../../server/config/secrets'

const [dataDir, startAt] = process.argv.slice(2)
while (Date.now() < Number(startAt)) { /* spin: a timer is too coarse to line the starts up */ }
try {
  process.stdout.write(JSON.stringify(resolveSecrets(parseConfig({ DATA_DIR: dataDir }))))
} catch (err) {
  process.stdout.write(JSON.stringify({ error: (err as Error).message }))
}
