// The workers phase: what WORKERS=2 costs against one process. Two Keygates on the same fast
// mock, each allowed both cores (the load generator and the mock stay on the load core, as
// everywhere in this benchmark), measured alternately with wrk; CPU per request counts every
// process of the instance (the primary and its workers). From it: requests per second per core,
// and a projection for 4, 8 and 16 cores. See bench/README.md ("Workers").
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { runPaced, runWrk } from './load.mjs'
import { cpuMicros } from './procs.mjs'
import { addKeys, benchKeys, createGroup, createProxyKey, startKeygate } from './keygate.mjs'
import { CHAT_PATH, MODEL } from './targets.mjs'
import { round } from './stats.mjs'

export const WORKERS_TARGET = 1.15
// Each round: wrk at saturation (the check: CPU per request where every core is in use, which is
// what scaling per core means), then both at one fixed open-loop rate, `rate` or half the lower
// ceiling of the round if that is less (for information: at low load each process's own timers
// and wake-ups weigh more per request).
const FULL = { warmupSeconds: 3, seconds: 6, rounds: 4, connections: 64, rate: 1000 }
const QUICK = { warmupSeconds: 1, seconds: 3, rounds: 1, connections: 64, rate: 1000 }
const PROJECTED_CORES = [4, 8, 16]

/** The instance's processes: the server and, with WORKERS > 1, its worker children. */
function instancePids(pid) {
  let children = ''
  try { children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() } catch {}
  return [pid, ...(children ? children.split(/\s+/).map(Number) : [])]
}

const cpuOf = (pids) => {
  const out = {}
  for (const p of pids) { try { out[p] = cpuMicros(p) } catch {} }
  return out
}

async function startInstance(mock, workers) {
  const allCores = `0-${Math.max(1, Math.min(cpus().length, 2) - 1)}`
  const kg = await startKeygate({ name: `keygate-workers-${workers}`, core: allCores, env: { WORKERS: String(workers) } })
  const group = await createGroup(kg, { name: 'bench', upstream: mock.fast, models: [MODEL] })
  await addKeys(kg, group.id, benchKeys(3, 'sk-bench-w-'))
  const key = await createProxyKey(kg)
  return { kg, workers, key, url: `${kg.url}/proxy/bench${CHAT_PATH}` }
}

/** CPU of the instance's processes (and the primary alone) over `run()`, per request it reports. */
async function withCpu(inst, run) {
  const pids = instancePids(inst.kg.pid)
  const before = cpuOf(pids)
  const r = await run(pids)
  const after = cpuOf(pids)
  const used = pid => (after[pid] ?? before[pid] ?? 0) - (before[pid] ?? 0)
  const totalUs = pids.reduce((n, p) => n + used(p), 0)
  return {
    ...r,
    cpuUsPerReq: round(totalUs / r.requests, 1),
    primaryUsPerReq: inst.workers > 1 ? round(used(inst.kg.pid) / r.requests, 2) : undefined,
  }
}

/** The same fixed rate for both: CPU per request of the whole instance. */
function paced(inst, cfg, rate) {
  return withCpu(inst, async () => {
    const r = await runPaced({ url: inst.url, key: inst.key, model: MODEL, rate, seconds: cfg.seconds, warmup: 0 })
    return { rate, requests: r.sent, errors: r.errors, achievedRate: r.achievedRate, p99Ms: r.latencyMs.p99 }
  })
}

/** Saturated (wrk): each one's ceiling on these two cores, and CPU per request there. */
function saturated(inst, cfg, mockPid) {
  return withCpu(inst, async (pids) => {
    const { seconds, connections } = cfg
    const r = await runWrk({ url: inst.url, key: inst.key, model: MODEL, seconds, connections, pids: [...pids, mockPid] })
    return { rps: round(r.rps, 0), requests: r.requests, errors: r.errors, coreBusyPct: r.coreBusyPct, otherCpuPct: r.otherCpuPct }
  })
}

/**
 * Returns per WORKERS value its rounds and best (lowest) CPU per request, the ratio, the
 * projection and the check for report.mjs.
 */
export async function workersPhase(mock, { quick }, log) {
  const cfg = quick ? QUICK : FULL
  log(`workers: WORKERS=1 vs WORKERS=2 on cores 0-1, wrk ${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s each, alternating`)
  const instances = []
  try {
    for (const w of [1, 2]) instances.push(await startInstance(mock, w))
    const { warmupSeconds, connections } = cfg
    for (const inst of instances) await runWrk({ url: inst.url, key: inst.key, model: MODEL, seconds: warmupSeconds, connections })
    const out = { config: cfg, 1: { paced: [], saturated: [] }, 2: { paced: [], saturated: [] } }
    const primary = m => m.primaryUsPerReq !== undefined ? ` (primary ${m.primaryUsPerReq})` : ''
    for (let r = 0; r < cfg.rounds; r++) {
      // Alternating, and each round starting with the other one, so drift on a shared machine hits both alike.
      const order = r % 2 ? [...instances].reverse() : instances
      const ceilings = []
      for (const inst of order) {
        await runWrk({ url: inst.url, key: inst.key, model: MODEL, seconds: 1, connections: cfg.connections })
        const m = await saturated(inst, cfg, mock.pid)
        out[inst.workers].saturated.push(m)
        ceilings.push(m.rps)
        log(`  WORKERS=${inst.workers} round ${r + 1}: saturated ${m.rps} req/s, ${m.cpuUsPerReq} µs CPU/req${primary(m)}, ${m.errors} errors; cores busy ${JSON.stringify(m.coreBusyPct)}, ${m.otherCpuPct}% of a core used by other processes`)
      }
      // The same rate for both, at most half of the lower ceiling just measured: on a busy machine
      // a fixed rate above what it can serve would measure the backlog, not the cost.
      const rate = Math.max(50, Math.min(cfg.rate, Math.floor(Math.min(...ceilings) / 2 / 50) * 50))
      for (const inst of order) {
        const p = await paced(inst, cfg, rate)
        out[inst.workers].paced.push(p)
        log(`  WORKERS=${inst.workers} round ${r + 1}: at ${rate} req/s ${p.cpuUsPerReq} µs CPU/req${primary(p)}, p99 ${p.p99Ms} ms, ${p.errors} errors`)
      }
    }
    for (const w of [1, 2]) {
      const o = out[w]
      // Interference from other processes only ever adds CPU per request: the lowest round is the cost.
      o.cpuUsPerReq = Math.min(...o.paced.map(x => x.cpuUsPerReq))
      o.saturatedCpuUsPerReq = Math.min(...o.saturated.map(x => x.cpuUsPerReq))
      o.rps = Math.max(...o.saturated.map(x => x.rps))
      o.errors = [...o.paced, ...o.saturated].reduce((n, x) => n + x.errors, 0)
    }
    out.ratio = round(out[2].saturatedCpuUsPerReq / out[1].saturatedCpuUsPerReq, 3)
    out.pacedRatio = round(out[2].cpuUsPerReq / out[1].cpuUsPerReq, 3)
    const perCore = 1e6 / out[2].saturatedCpuUsPerReq
    out.projection = {
      basis: 'WORKERS=2 CPU per request at saturation (primary included); upstream and clients on other machines',
      rpsPerCore: round(perCore, 0),
      ...Object.fromEntries(PROJECTED_CORES.map(n => [`cores${n}`, round(perCore * n, 0)])),
    }
    const errors = out[1].errors + out[2].errors
    out.checks = [
      { name: 'WORKERS=2: CPU per request / WORKERS=1 (saturated)', value: out.ratio, limit: `≤ ${WORKERS_TARGET}`, pass: out.ratio <= WORKERS_TARGET },
      { name: 'WORKERS=1 and 2: errors', value: errors, limit: '0', pass: errors === 0 },
    ]
    log(`  WORKERS=2 / WORKERS=1 CPU per request: ${out.ratio} saturated (${out[1].rps} vs ${out[2].rps} req/s), ${out.pacedRatio} at a fixed rate; projected ${out.projection.rpsPerCore} req/s per core, ${PROJECTED_CORES.map(n => `${n} cores ${out.projection[`cores${n}`]}`).join(', ')}`)
    return out
  } finally {
    for (const inst of instances) await inst.kg.stop()
  }
}
