// `npm run bench`: the benchmark. Starts a mock upstream, the bare reference proxy and
// the built Keygate on loopback, measures them under load, prints a table with every Keygate
// figure as a ratio against the reference or the direct path of the same run (PASS/FAIL), and
// writes JSON to bench/results/. Every child process is stopped by PID at the end, on failure
// and on Ctrl-C. See bench/README.md.
//   npm run bench                 full run, about 11 minutes, exits 1 when a target is missed
//   npm run bench -- --quick      about a minute, smaller phases, no timing checks, assertions off (CI smoke)
//   options: --no-assert  --stand-in (reference proxies in Keygate's place)  --profile (node --cpu-prof)
//            --phases throughput,latency,streaming,conversion,slow,keys,workers,checks  --keys N
// The `checks` phase (last, on every core) runs bench/checks: the timing targets the test suites
// used to assert; `npm run bench:checks` runs it alone.
import { mkdirSync, writeFileSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chatBody } from './lib/load.mjs'
import { memory, pin, runToEnd, stopAll } from './lib/procs.mjs'
import { ENTRY } from './lib/keygate.mjs'
import { startMock, startReference, startSubject, startManyKeys, CLIENT_KEY, CHAT_PATH, MODEL, SLOW_MODEL, PROXY_CORE } from './lib/targets.mjs'
import * as phases from './lib/phases.mjs'
import { convertedStreams } from './lib/conversion.mjs'
import { evaluate, formatReport } from './lib/report.mjs'
import { summarizeProfile } from './profile-summary.mjs'

const argv = process.argv.slice(2)
const flag = name => argv.includes(`--${name}`)
const value = (name) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined }
const quick = flag('quick')
const standIn = flag('stand-in')
const assert = !quick && !flag('no-assert')
const only = value('phases')?.split(',')
const wants = p => !only || only.includes(p)
// The timing checks take a few minutes and need Keygate itself: not in quick or stand-in runs unless named.
const wantsChecks = only ? only.includes('checks') : !quick && !standIn

const FULL = {
  throughput: { warmupSeconds: 3, seconds: 6, rounds: 3, connections: 64 },
  latency: { rate: 1000, warmupSeconds: 1, seconds: 4, rounds: 4 },
  streaming: { streams: 300, concurrency: 10, rounds: 3 },
  slow: { count: 1000, chunks: 30, settleSeconds: 60 },
  manyKeys: {
    count: 1_000_000, warmupSeconds: 3, seconds: 5, rounds: 5, connections: 64, importTimeoutSeconds: 300, idleTimeoutSeconds: 60,
  },
}
const QUICK = {
  throughput: { warmupSeconds: 1, seconds: 3, rounds: 1, connections: 64 },
  latency: { rate: 1000, warmupSeconds: 1, seconds: 3, rounds: 1 },
  streaming: { streams: 50, concurrency: 10 },
  slow: { count: 100, chunks: 5, settleSeconds: 5 },
  manyKeys: { count: 20_000, warmupSeconds: 1, seconds: 3, rounds: 1, connections: 64, importTimeoutSeconds: 60, idleTimeoutSeconds: 10 },
}
const cfg = structuredClone(quick ? QUICK : FULL)
if (value('keys')) cfg.manyKeys.count = Number(value('keys'))

const t0 = Date.now()
const log = msg => console.log(`[${String(Math.round((Date.now() - t0) / 1000)).padStart(3)} s] ${msg}`)
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const resultsDir = 'bench/results'
mkdirSync(resultsDir, { recursive: true })
const cpuProfDir = flag('profile') ? join(resultsDir, `profile-${stamp}`) : undefined

const results = {
  startedAt: new Date().toISOString(), mode: quick ? 'quick' : 'full', standIn, config: cfg,
  machine: {
    cpus: cpus().length, model: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version,
    loadavgAtStart: loadavg().map(x => Math.round(x * 100) / 100),
  },
  warnings: [],
}

// The orchestrator shares the load core, so it never competes with the proxy under test.
try { pin(process.pid, 0) } catch {}

async function smoke(name, target) {
  const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${target.key}` }, body: chatBody(target.model) })
  const text = await res.text()
  if (res.status !== 200 || !text.includes('chat.completion')) throw new Error(`${name} (${target.url}) answered ${res.status}: ${text.slice(0, 300)}`)
}

async function main() {
  if (!standIn && !process.env.KEYGATE_SERVER_ENTRY) {
    const { buildIfNeeded } = await import('../scripts/build-if-needed.mjs')
    buildIfNeeded()
  }
  log(`${results.mode} run${standIn ? ' with stand-ins for Keygate' : ''}; load average ${results.machine.loadavgAtStart.join(' ')}`)
  const mock = await startMock({ slowChunks: cfg.slow.chunks })
  const ref = await startReference({ upstream: mock.fast })
  const subject = await startSubject({ mock, standIn, cpuProfDir })
  subject.slowModel = SLOW_MODEL
  log(`mock pid ${mock.pid}, reference pid ${ref.pid}, ${subject.kind} pid ${subject.pid} (proxies on core ${PROXY_CORE})`)
  const targets = {
    direct: { url: mock.fast + CHAT_PATH, key: 'sk-direct-any', model: MODEL, pid: mock.pid, mockPid: mock.pid },
    reference: { url: ref.url + CHAT_PATH, key: CLIENT_KEY, model: MODEL, pid: ref.pid, mockPid: mock.pid },
    kgProxy: { url: subject.proxyUrl, key: subject.key, model: MODEL, pid: subject.pid, mockPid: mock.pid },
    kgV1: { url: subject.v1Url, key: subject.key, model: MODEL, pid: subject.pid, mockPid: mock.pid },
  }
  for (const [name, t] of Object.entries(targets)) await smoke(name, t)

  if (wants('throughput')) {
    log(`throughput: wrk, ${cfg.throughput.connections} connections, ${cfg.throughput.rounds} × ${cfg.throughput.seconds} s per target`)
    results.throughput = await phases.throughput(targets, cfg.throughput, log)
    for (const name of phases.TARGETS) {
      const r = results.throughput[name].rounds.find(x => x.rps === results.throughput[name].rps)
      if (name !== 'direct' && r.loadSideCpuPct >= 85) results.warnings.push(`mock + wrk used ${r.loadSideCpuPct}% of the load core during the best ${name} round: the load side may cap that figure`)
      if (r.otherCpuPct >= 20) results.warnings.push(`other processes used ${r.otherCpuPct}% of a core during the best ${name} throughput round: figures are noisy`)
    }
  }
  if (wants('latency')) {
    log(`latency: open loop at ${cfg.latency.rate} req/s, ${cfg.latency.rounds} × ${cfg.latency.seconds} s per target`)
    results.latency = await phases.latency(targets, cfg.latency, log)
  }
  if (wants('streaming')) {
    log(`streaming: ${cfg.streaming.streams} streams of 20 chunks 5 ms apart per target, ${cfg.streaming.concurrency} at a time, in ${cfg.streaming.rounds ?? 1} round(s)`)
    results.streaming = await phases.streaming(targets, cfg.streaming, log)
  }
  if (wants('conversion') && subject.kg) results.conversion = await convertedStreams(subject, mock, cfg.streaming, log)
  const mb = pid => Math.round(memory(pid).hwmKb / 1024)
  results.peakRssMb = { direct: mb(mock.pid), reference: mb(ref.pid), kgProxy: mb(subject.pid), kgV1: mb(subject.pid) }

  // The many-key instance imports its keys while the slow streams run (on the load core), so the
  // import's time overlaps a phase that mostly waits.
  let many
  const manyReady = wants('keys')
    ? startManyKeys({ mock, standIn, count: cfg.manyKeys.count, importTimeoutMs: cfg.manyKeys.importTimeoutSeconds * 1000, log })
        .then((m) => { many = m }, (err) => { results.manyKeysError = err.message })
    : Promise.resolve()
  if (wants('keys')) log(`many keys: importing ${cfg.manyKeys.count.toLocaleString('en')} keys into a second instance in the background`)
  if (wants('slow')) {
    log(`slow streams: ${cfg.slow.count} at once, one chunk a second for ${cfg.slow.chunks} s, then ${cfg.slow.settleSeconds} s idle`)
    results.slowStreams = await phases.slowStreams(subject, cfg.slow, log)
  }
  await subject.stop()
  await ref.stop()
  if (cpuProfDir) {
    for (const f of readdirSync(cpuProfDir).filter(f => f.endsWith('.cpuprofile'))) {
      results.profile = summarizeProfile(join(cpuProfDir, f), 30)
      log(`profile ${join(cpuProfDir, f)}:\n${results.profile.text}`)
    }
  }
  await manyReady
  if (many) {
    many.moveToProxyCore()
    log(`many keys: 3-key group vs ${cfg.manyKeys.count.toLocaleString('en')}-key group, ${cfg.manyKeys.rounds} × ${cfg.manyKeys.seconds} s each, alternating`)
    results.manyKeys = await phases.manyKeys(many, mock, cfg.manyKeys, log)
    await many.stop()
  }
  if (wants('workers') && !standIn) results.workers = await (await import('./lib/workers.mjs')).workersPhase(mock, { quick }, log)
  await mock.stop()
  if (wantsChecks) {
    log('timing checks (bench/checks): the targets the test suites used to assert, on every core')
    results.timingChecks = await timingChecks()
  }
}

/** Runs bench/checks in a child on every core (this process is pinned to one) and returns its checks. */
async function timingChecks() {
  const file = join(resultsDir, `checks-${stamp}.json`)
  const args = [fileURLToPath(new URL('./checks/run.mjs', import.meta.url)), '--no-assert', '--json', file]
  await runToEnd('timing checks', process.execPath, args, {
    core: `0-${cpus().length - 1}`,
    env: { ...process.env, KEYGATE_SERVER_ENTRY: ENTRY },
    onLine: (line) => { if (/^\[\s*\d+ s\]/.test(line)) log(`  ${line.replace(/^\[\s*\d+ s\]\s*/, '')}`) },
  })
  const checks = JSON.parse(readFileSync(file, 'utf8'))
  rmSync(file, { force: true })
  return checks
}

let exitCode = 0
try {
  await main()
} catch (err) {
  results.error = err.stack ?? String(err)
  exitCode = 2
} finally {
  await stopAll()
}
results.finishedAt = new Date().toISOString()
results.durationSeconds = Math.round((Date.now() - t0) / 1000)
results.checks = evaluate(results, cfg)
const report = formatReport(results, results.checks)
console.log(report)
const file = join(resultsDir, `${stamp}${quick ? '-quick' : ''}${standIn ? '-stand-in' : ''}.json`)
writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
if (!quick && !standIn && !only && !results.error) writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n')
console.log(`\nresults: ${file} (${results.durationSeconds} s)`)
const failed = results.checks.filter(c => c.pass === false).length
if (!exitCode && failed) {
  console.log(assert ? `${failed} check(s) FAILED` : `${failed} check(s) failed (assertions off)`)
  if (assert) exitCode = 1
}
process.exit(exitCode)
