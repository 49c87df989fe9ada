// The three load drivers, each run as its own process on the load core: wrk for saturated
// throughput, the paced open-loop client for fixed-rate latency, the stream client for TTFB.
import { fileURLToPath } from 'node:url'
import { coreBusy, coreTicks, cpuMicros, reapedChildrenCpuMicros, runToEnd, startChild, stopChild } from './procs.mjs'

const here = p => fileURLToPath(new URL(p, import.meta.url))
const WRK_SCRIPT = here('./wrk-post.lua')
const PACED = here('../clients/paced-load.mjs')
const STREAM = here('../clients/stream-load.mjs')
export const LOAD_CORE = 0

export const chatBody = (model, stream = false) =>
  JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 16 })

const lastJson = (out, key) => {
  const line = out.split('\n').reverse().find((l) => { try { return JSON.parse(l)[key] !== undefined } catch { return false } })
  if (!line) throw new Error(`no ${key} summary in:\n${out.slice(-2000)}`)
  return JSON.parse(line)
}

/**
 * Saturated load with wrk for `seconds`; CPU time of `pids` is sampled around the run.
 * Returns { rps, requests, errors, p50Ms, p99Ms, cpu: {pid: µs}, coreBusyPct: {core: %} }.
 */
export async function runWrk({ url, key, model, seconds, connections = 64, pids = [] }) {
  const env = { ...process.env, BENCH_BODY: chatBody(model), BENCH_KEY: key }
  const before = Object.fromEntries(pids.map(p => [p, cpuMicros(p)]))
  const ticks = coreTicks()
  const wrkBefore = reapedChildrenCpuMicros()
  const selfBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  const out = await runToEnd('wrk', 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', WRK_SCRIPT, url], { core: LOAD_CORE, env })
  const wallUs = Number(process.hrtime.bigint() - started) / 1000
  const cpu = Object.fromEntries(pids.map(p => [p, cpuMicros(p) - before[p]]))
  const busy = coreBusy(ticks, coreTicks())
  const wrkCpuUs = reapedChildrenCpuMicros() - wrkBefore
  const self = process.cpuUsage(selfBefore)
  // CPU that none of the benchmark's processes used: other work on the machine, i.e. noise.
  const oursUs = Object.values(cpu).reduce((a, b) => a + b, 0) + wrkCpuUs + self.user + self.system
  const otherCpuPct = Math.max(0, Math.round(Object.values(busy).reduce((a, b) => a + b, 0) - (oursUs / wallUs) * 100))
  const s = lastJson(out, 'wrk')
  const errors = s.connect + s.read + s.write + s.status + s.timeout
  return {
    rps: (s.requests / s.durationUs) * 1e6,
    requests: s.requests,
    errors,
    errorKinds: { connect: s.connect, read: s.read, write: s.write, status: s.status, timeout: s.timeout },
    p50Ms: s.p50Us / 1000,
    p99Ms: s.p99Us / 1000,
    wallUs,
    cpu,
    coreBusyPct: busy,
    wrkCpuUs,
    otherCpuPct,
  }
}

/** Fixed-rate open-loop latency run; see clients/paced-load.mjs for the output. */
export async function runPaced({ url, key, model, rate, seconds, warmup }) {
  const out = await runToEnd('paced-load', process.execPath, [PACED, '--url', url, '--key', key, '--body', chatBody(model), '--rate', String(rate), '--seconds', String(seconds), '--warmup', String(warmup)], { core: LOAD_CORE })
  return lastJson(out, 'latencyMs')
}

/** Streams with timing of first byte, last byte and every event; see clients/stream-load.mjs. */
export async function runStreams({ url, key, model, streams, concurrency, api = 'openai' }) {
  const out = await runToEnd('stream-load', process.execPath, [STREAM, '--url', url, '--key', key, '--model', model, '--streams', String(streams), '--concurrency', String(concurrency), '--api', api], { core: LOAD_CORE })
  return lastJson(out, 'ttfbMs')
}

/**
 * Opens `count` streams at once and keeps them open while they last (slow-stream phase).
 * Returns { opened: Promise, result: Promise<summary>, stop() }.
 */
export function holdStreams({ url, key, model, count, timeoutSeconds }) {
  let openedResolve
  const opened = new Promise((r) => { openedResolve = r })
  const entry = startChild('slow-streams', process.execPath, [STREAM, '--hold', '--url', url, '--key', key, '--model', model, '--streams', String(count), '--concurrency', String(count), '--timeout', String(timeoutSeconds)], {
    core: LOAD_CORE,
    onLine: (line) => { try { if (JSON.parse(line).opened) openedResolve() } catch {} },
  })
  const result = entry.exited.then(({ code }) => {
    openedResolve()
    if (code !== 0) throw new Error(`slow-streams client failed (${code}):\n${entry.stderr.slice(-2000)}`)
    return lastJson(entry.stdout, 'ttfbMs')
  })
  return { opened, result, stop: () => stopChild(entry) }
}
