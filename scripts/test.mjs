// `npm test`: build the server when needed, say which optional suites run and which are skipped
// (and why), then run every vitest suite in one pass. The suites assert behaviour only; timing
// targets (import throughput, chunk pacing, stalls during a pool reload) are `npm run bench:checks`.
// Extra arguments go to vitest (e.g. `npm test -- tests/integration/proxy`).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

const out = mkdtempSync(join(tmpdir(), 'keygate-vitest-'))
const file = join(out, 'results.json')
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${file}`, ...process.argv.slice(2)], { stdio: 'inherit' })
const status = r.status ?? 1
const totals = { passed: 0, failed: 0, skipped: 0 }
try {
  const j = JSON.parse(readFileSync(file, 'utf8'))
  totals.passed = j.numPassedTests
  // A suite that failed outside any test (an import error, a failing hook) counts as one failure.
  totals.failed = j.numFailedTests + (j.numTotalTestSuites && !j.success && !j.numFailedTests ? 1 : 0)
  totals.skipped = j.numPendingTests + j.numTodoTests
} catch {
  totals.failed = 1
}
rmSync(out, { recursive: true, force: true })
if (skipped.length) console.log(`\nkeygate test: skipped here: ${skipped.join(', ')} (see the lines at the top for why).`)
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(status || (totals.failed ? 1 : 0))
