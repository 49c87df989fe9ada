// A/B check of a hot-path change: runs two or more Keygate builds side by side (each started
// like `npm run bench` starts Keygate, all pinned to the proxy core) and alternates short wrk
// rounds between them, so drift on a shared machine hits every build alike. Prints CPU µs per
// request and req/s per build (median of rounds) and each build's ratio to the first.
//   node bench/compare-builds.mjs [--rounds 6] [--seconds 5] [--route proxy|v1] [--limits] A/.output/server/index.mjs B/…
// --limits gives the proxy key every counted limit (rpm, tpm, token and money budgets, an IP
// allowlist), all far above what the run uses, so each request pays for checking them. An entry
// written `limits:ENTRY` gets them alone, so one build can run with and without:
//   node bench/compare-builds.mjs --rounds 8 .output/server/index.mjs limits:.output/server/index.mjs
import { startMock, PROXY_CORE, CHAT_PATH, MODEL } from './lib/targets.mjs'
import { startKeygate, createGroup, addKeys, createProxyKey, benchKeys } from './lib/keygate.mjs'
import { runWrk } from './lib/load.mjs'
import { stopAll, pin } from './lib/procs.mjs'
import { percentile, round } from './lib/stats.mjs'

const argv = process.argv.slice(2)
const opt = (name, fallback) => { const i = argv.indexOf(`--${name}`); if (i < 0) return fallback; const v = argv[i + 1]; argv.splice(i, 2); return v }
const rounds = Number(opt('rounds', '6'))
const seconds = Number(opt('seconds', '5'))
const route = opt('route', 'proxy')
const li = argv.indexOf('--limits')
const LIMITS = { rpm: 10_000_000, tpm: 1_000_000_000, budgetTokens: 1e15, budgetCost: 1e9, budgetPeriod: 'month', ipAllowlist: ['127.0.0.0/8', '::1'] }
const allLimited = li >= 0
if (allLimited) argv.splice(li, 1)
const entries = argv
if (entries.length < 2) { console.error('usage: node bench/compare-builds.mjs [--rounds N] [--seconds S] [--route proxy|v1] ENTRY_A ENTRY_B …'); process.exit(2) }
try { pin(process.pid, 0) } catch {}

let code = 0
try {
  const mock = await startMock({ slowChunks: 1 })
  const builds = []
  for (const arg of entries) {
    const limited = allLimited || arg.startsWith('limits:')
    const entry = arg.replace(/^limits:/, '')
    const kg = await startKeygate({ name: `keygate-${builds.length}`, core: PROXY_CORE, entry })
    const g = await createGroup(kg, { name: 'bench', upstream: mock.fast, models: [MODEL] })
    await addKeys(kg, g.id, benchKeys(3))
    const key = await createProxyKey(kg, 'bench', limited ? LIMITS : {})
    const url = route === 'v1' ? kg.url + CHAT_PATH : `${kg.url}/proxy/bench${CHAT_PATH}`
    builds.push({ entry: arg, kg, key, url, cpu: [], rps: [] })
    await runWrk({ url, key, model: MODEL, seconds: 3 })
  }
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no build always runs right after another.
    for (let i = 0; i < builds.length; i++) {
      const b = builds[(i + r) % builds.length]
      const run = await runWrk({ url: b.url, key: b.key, model: MODEL, seconds, pids: [b.kg.pid] })
      if (run.errors) throw new Error(`${b.entry}: ${run.errors} errors`)
      b.cpu.push(run.cpu[b.kg.pid] / run.requests)
      b.rps.push(run.rps)
      console.log(`round ${r + 1} ${b.entry}: ${Math.round(run.rps)} req/s, ${(run.cpu[b.kg.pid] / run.requests).toFixed(1)} µs/req, others used ${run.otherCpuPct}% of a core`)
    }
  }
  const base = builds[0]
  for (const b of builds) {
    const cpu = percentile(b.cpu, 50)
    const rps = percentile(b.rps, 50)
    console.log(`${b.entry}: median ${round(cpu, 1)} µs CPU/req (${round(cpu / percentile(base.cpu, 50), 3)} × first), ${Math.round(rps)} req/s (${round(rps / percentile(base.rps, 50), 3)} × first)`)
  }
} catch (err) {
  console.error(err)
  code = 1
} finally {
  await stopAll()
}
process.exit(code)
