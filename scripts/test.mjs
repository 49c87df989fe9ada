// `npm test`: build the server when needed, say which optional suites run and which are skipped
// (and why), then run every vitest suite once. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process'
import { buildIfNeeded } from './build-if-needed.mjs'

const suites = [
  ['MySQL (MariaDB) suites', 'KEYGATE_TEST_MYSQL_URL', 'mysql://user:pass@127.0.0.1:3306/keygate_test'],
  ['Redis suites', 'KEYGATE_TEST_REDIS_URL', 'redis://127.0.0.1:6379/15'],
  ['browser (Playwright + Chromium) suites', 'KEYGATE_TEST_BROWSER', '/usr/bin/chromium'],
]
const skipped = []
for (const [name, variable, example] of suites) {
  if (process.env[variable]) console.log(`keygate test: ${name}: ON (${variable} is set)`)
  else {
    skipped.push(name)
    console.log(`keygate test: ${name}: SKIPPED because ${variable} is not set (e.g. ${variable}=${example}; .ci/run sets it)`)
  }
}
if (process.env.CI && skipped.length) {
  console.error(`keygate test: CI must run every suite, but these were skipped: ${skipped.join(', ')}`)
  process.exit(1)
}

buildIfNeeded()
const r = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit' })
if (skipped.length) console.log(`\nkeygate test: skipped here: ${skipped.join(', ')} (see the lines at the top for why).`)
process.exit(r.status ?? 1)
