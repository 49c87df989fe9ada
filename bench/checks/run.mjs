// `npm run bench:checks`: the timing targets that the test suites used to assert (chunk pacing,
// abort and failover latency, key import throughput, key-list latency, event-loop stalls while a
// big key pool loads). The suites keep the behaviour (everything arrives, counts are right, the
// reload completes); how fast is measured here, against the same thresholds, on loopback only.
//   npm run bench:checks                          every check (about 3 minutes), exits 1 on a miss
//   npm run bench:checks -- streaming,event-loop  only these
//   options: --no-assert (report, exit 0)  --json FILE (write the checks as JSON)
// `npm run bench` runs them too, as its `checks` phase. Each check starts its own built server
// (.output/server/index.mjs, or KEYGATE_SERVER_ENTRY) through tests/support, so it measures the
// same thing the test did; tsx loads those TypeScript helpers.
import { writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { register } from 'tsx/esm/api'

register()

export const CHECKS = ['streaming', 'keys-at-scale', 'pool-reload', 'event-loop', 'conversion']

/** Runs the named checks in order; returns [{ name, value, limit, pass, note? }]. */
export async function runChecks(names = CHECKS, log = console.log) {
  const out = []
  for (const name of names) {
    if (!CHECKS.includes(name)) throw new Error(`unknown check ${name} (known: ${CHECKS.join(', ')})`)
    const started = Date.now()
    log(`check ${name}…`)
    try {
      const mod = await import(`./${name}.mjs`)
      out.push(...await mod.run(log))
    } catch (err) {
      out.push({ name: `${name}: did not complete`, value: 'error', limit: 'runs', pass: false, note: err.stack ?? String(err) })
    }
    log(`check ${name}: ${Math.round((Date.now() - started) / 1000)} s`)
  }
  return out
}

export function formatChecks(checks) {
  return checks.map((c) => {
    const verdict = c.pass === null ? 'N/A ' : c.pass ? 'PASS' : 'FAIL'
    return `  ${verdict}  ${c.name.padEnd(84)} ${String(c.value ?? '–').padStart(14)}  (${c.limit})${c.note ? `  ${c.note}` : ''}`
  }).join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2)
  const jsonAt = argv.indexOf('--json')
  const jsonFile = jsonAt >= 0 ? argv[jsonAt + 1] : undefined
  const names = argv.filter((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1)).flatMap(a => a.split(',')).filter(Boolean)
  const assert = !argv.includes('--no-assert')
  if (!process.env.KEYGATE_SERVER_ENTRY) {
    const { buildIfNeeded } = await import('../../scripts/build-if-needed.mjs')
    buildIfNeeded()
  }
  const t0 = Date.now()
  const log = msg => console.log(`[${String(Math.round((Date.now() - t0) / 1000)).padStart(3)} s] ${msg}`)
  const load = loadavg()[0] / availableParallelism()
  log(`load average ${loadavg().map(x => x.toFixed(2)).join(' ')} on ${availableParallelism()} CPUs`)
  if (load > 1) log(`warning: the machine is already busy (${load.toFixed(1)}× its CPUs): figures will be pessimistic`)
  const checks = await runChecks(names.length ? names : CHECKS, log)
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(checks, null, 2) + '\n')
  console.log(`\ntiming checks (the targets the test suites used to assert):\n${formatChecks(checks)}`)
  const failed = checks.filter(c => c.pass === false).length
  console.log(`\n${checks.length - failed} met, ${failed} missed${failed && !assert ? ' (assertions off)' : ''}`)
  process.exit(failed && assert ? 1 : 0)
}
