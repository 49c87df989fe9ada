// The measured phases. Each returns plain data; report.mjs turns it into ratios and PASS/FAIL.
import { runWrk, runPaced, runStreams, holdStreams } from './load.mjs'
import { cpuMicros, memory, sampleRss } from './procs.mjs'
import { sleep } from './keygate.mjs'
import { percentile, round } from './stats.mjs'

export const TARGETS = ['direct', 'reference', 'kgProxy', 'kgV1']

/**
 * Saturated throughput at `connections` for every target. Targets alternate round by round so
 * slow drift on a shared machine hits them alike; each reports its best round (interference
 * from other processes only ever lowers throughput) and CPU per request from that round.
 */
export async function throughput(targets, cfg, log) {
  const out = {}
  for (const name of TARGETS) {
    const t = targets[name]
    await runWrk({ url: t.url, key: t.key, model: t.model, seconds: cfg.warmupSeconds, connections: cfg.connections })
    out[name] = { rounds: [] }
  }
  for (let r = 0; r < cfg.rounds; r++) {
    for (const name of TARGETS) {
      const t = targets[name]
      const pids = t.pid === t.mockPid ? [t.pid] : [t.pid, t.mockPid]
      // Each target sat idle through the others' rounds (its heap shrunk, its upstream
      // connections timed out): one warm second first, for every target alike.
      await runWrk({ url: t.url, key: t.key, model: t.model, seconds: 1, connections: cfg.connections })
      const run = await runWrk({ url: t.url, key: t.key, model: t.model, seconds: cfg.seconds, connections: cfg.connections, pids })
      const cpuUsPerReq = run.cpu[t.pid] / run.requests
      out[name].rounds.push({
        rps: round(run.rps, 0), cpuUsPerReq: round(cpuUsPerReq, 1), errors: run.errors, errorKinds: run.errorKinds,
        p50Ms: run.p50Ms, p99Ms: run.p99Ms, loadSideCpuPct: round(((run.cpu[t.mockPid] + run.wrkCpuUs) / run.wallUs) * 100, 0),
        coreBusyPct: run.coreBusyPct, otherCpuPct: run.otherCpuPct,
      })
      log(`  ${name.padEnd(10)} round ${r + 1}: ${Math.round(run.rps)} req/s, ${cpuUsPerReq.toFixed(1)} µs CPU/req, ${run.errors} errors; mock+wrk ${Math.round(((run.cpu[t.mockPid] + run.wrkCpuUs) / run.wallUs) * 100)}% of a core; cores busy ${JSON.stringify(run.coreBusyPct)}, ${run.otherCpuPct}% of a core used by other processes`)
    }
  }
  for (const name of TARGETS) {
    const rounds = out[name].rounds
    const best = rounds.reduce((a, b) => (b.rps > a.rps ? b : a))
    const cpuUsPerReq = Math.min(...rounds.map(x => x.cpuUsPerReq))
    Object.assign(out[name], { rps: best.rps, cpuUsPerReq, errors: rounds.reduce((a, b) => a + b.errors, 0) })
  }
  return out
}

/**
 * Open-loop latency at a fixed rate, in rounds that alternate between targets, each round
 * starting one target further along so that no target always follows the same one; each target
 * keeps, per percentile, its best round (a hiccup elsewhere on a shared machine only ever adds
 * latency). "Added" is a target's percentile minus direct's.
 */
export async function latency(targets, cfg, log) {
  const out = Object.fromEntries(TARGETS.map(name => [name, { rounds: [] }]))
  for (let r = 0; r < cfg.rounds; r++) {
    for (const name of [...TARGETS.slice(r % TARGETS.length), ...TARGETS.slice(0, r % TARGETS.length)]) {
      const t = targets[name]
      const { url, key, model } = t
      const run = await runPaced({ url, key, model, rate: cfg.rate, seconds: cfg.seconds, warmup: cfg.warmupSeconds })
      out[name].rounds.push(run)
      log(`  ${name.padEnd(10)} round ${r + 1}: p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms (from actual send: p50 ${run.serviceMs.p50}, p99 ${run.serviceMs.p99}; send lag p50 ${run.sendLagMs.p50}, p99 ${run.sendLagMs.p99}), ${run.achievedRate} req/s, ${run.errors} errors`)
    }
  }
  const best = (rounds, field, p) => Math.min(...rounds.map(x => x[field][p]))
  for (const name of TARGETS) {
    const o = out[name]
    o.latencyMs = { p50: best(o.rounds, 'latencyMs', 'p50'), p99: best(o.rounds, 'latencyMs', 'p99') }
    o.serviceMs = { p50: best(o.rounds, 'serviceMs', 'p50'), p99: best(o.rounds, 'serviceMs', 'p99') }
    o.errors = o.rounds.reduce((a, b) => a + b.errors, 0)
  }
  for (const name of TARGETS) {
    const o = out[name]
    o.addedP50Ms = round(o.latencyMs.p50 - out.direct.latencyMs.p50, 3)
    o.addedP99Ms = round(o.latencyMs.p99 - out.direct.latencyMs.p99, 3)
    o.addedServiceP50Ms = round(o.serviceMs.p50 - out.direct.serviceMs.p50, 3)
    o.addedServiceP99Ms = round(o.serviceMs.p99 - out.direct.serviceMs.p99, 3)
  }
  return out
}

/**
 * Streams with timing of every chunk, in `rounds` that alternate between targets (each round
 * starting one target later), `streams / rounds` streams a round. Each target keeps the round
 * with its lowest median time to first byte (a hiccup elsewhere only ever adds time), and, for
 * the chunk-gap check, its round with the lowest p10 gap (the most bunched-up chunks).
 */
export async function streaming(targets, cfg, log) {
  const rounds = cfg.rounds ?? 1
  const perRound = Math.ceil(cfg.streams / rounds)
  const all = Object.fromEntries(TARGETS.map(name => [name, []]))
  for (const name of TARGETS) {
    const t = targets[name]
    await runStreams({ url: t.url, key: t.key, model: t.model, streams: cfg.concurrency, concurrency: cfg.concurrency })
  }
  for (let r = 0; r < rounds; r++) {
    for (const name of [...TARGETS.slice(r % TARGETS.length), ...TARGETS.slice(0, r % TARGETS.length)]) {
      const t = targets[name]
      const run = await runStreams({ url: t.url, key: t.key, model: t.model, streams: perRound, concurrency: cfg.concurrency })
      all[name].push(run)
      log(`  ${name.padEnd(10)} round ${r + 1}: TTFB p50 ${run.ttfbMs.p50} ms, last byte p50 ${run.ttlbMs.p50} ms, chunk gap p10/p50/p90 ${run.gapMs.p10}/${run.gapMs.p50}/${run.gapMs.p90} ms, ${run.errors} errors`)
    }
  }
  const out = {}
  for (const name of TARGETS) {
    const runs = all[name]
    const best = runs.reduce((a, b) => (b.ttfbMs.p50 < a.ttfbMs.p50 ? b : a))
    const bunched = runs.reduce((a, b) => (b.gapMs.p10 < a.gapMs.p10 ? b : a))
    out[name] = { ...best, gapMs: bunched.gapMs, errors: runs.reduce((a, b) => a + b.errors, 0), rounds: runs }
  }
  for (const name of TARGETS) {
    out[name].addedTtfbMs = round(out[name].ttfbMs.p50 - out.direct.ttfbMs.p50, 3)
    out[name].addedTtlbMs = round(out[name].ttlbMs.p50 - out.direct.ttlbMs.p50, 3)
  }
  return out
}

/**
 * `count` streams held open at once (one chunk a second); RSS of the proxy before, at peak
 * (sampled every 100 ms) and `settleSeconds` after the streams end.
 */
export async function slowStreams(subject, cfg, log) {
  const pid = subject.slowPid
  const before = memory(pid).rssKb
  const sampler = sampleRss(pid, 100)
  const started = Date.now()
  const hold = holdStreams({
    url: subject.slowUrl, key: subject.key, model: subject.slowModel, count: cfg.count, timeoutSeconds: cfg.chunks + 60,
  })
  await hold.opened
  log(`  ${cfg.count} streams open after ${Date.now() - started} ms; RSS ${Math.round(memory(pid).rssKb / 1024)} MB`)
  const result = await hold.result
  const peak = sampler.stop()
  log(`  streams done after ${Math.round((Date.now() - started) / 1000)} s: ${result.completed} completed, ${result.errors} errors; peak RSS ${Math.round(peak.maxKb / 1024)} MB; waiting ${cfg.settleSeconds} s`)
  const settle = sampleRss(pid, 1000)
  await sleep(cfg.settleSeconds * 1000)
  const after = settle.stop()
  return {
    count: cfg.count, chunks: cfg.chunks, completed: result.completed, errors: result.errors, statuses: result.statuses,
    beforeMb: round(before / 1024, 1), peakMb: round(peak.maxKb / 1024, 1), afterMb: round(after.lastKb / 1024, 1),
    afterRatio: round(after.lastKb / before, 3), settleSeconds: cfg.settleSeconds,
    ttfbMs: result.ttfbMs, ttlbMs: result.ttlbMs,
  }
}

/** Waits until `pids` together use under 5 % of a core over a second, up to `timeoutSeconds`. */
async function waitIdle(pids, timeoutSeconds) {
  const started = Date.now()
  for (;;) {
    const before = pids.reduce((a, p) => a + cpuMicros(p), 0)
    await sleep(1000)
    const cpuPct = Math.round((pids.reduce((a, p) => a + cpuMicros(p), 0) - before) / 10_000)
    const seconds = Math.round((Date.now() - started) / 1000)
    if (cpuPct < 5 || seconds >= timeoutSeconds) return { idle: cpuPct < 5, seconds, cpuPct }
  }
}

/** Throughput of the many-key group against the 3-key group on the same process, alternating. */
export async function manyKeys(many, mock, cfg, log) {
  // After an import the pool goes on loading (and decrypting) keys in the background for a while
  // after it starts serving; the rounds measure key selection, so they wait for that to end.
  const idle = await waitIdle(many.pids, cfg.idleTimeoutSeconds)
  log(`  many keys: ${idle.idle ? 'idle' : 'still busy'} after ${idle.seconds} s (${idle.cpuPct}% of a core in the last second)`)
  const runs = { three: [], many: [] }
  const url = which => (which === 'three' ? many.threeUrl : many.manyUrl)
  for (const which of ['three', 'many']) await runWrk({ url: url(which), key: many.key, model: 'bench-model', seconds: cfg.warmupSeconds, connections: cfg.connections })
  await mock.stats(true)
  for (let r = 0; r < cfg.rounds; r++) {
    for (const which of ['three', 'many']) {
      const pid = many.pidFor(which)
      const run = await runWrk({ url: url(which), key: many.key, model: 'bench-model', seconds: cfg.seconds, connections: cfg.connections, pids: [pid] })
      runs[which].push({ rps: round(run.rps, 0), errors: run.errors, cpuUsPerReq: round(run.cpu[pid] / run.requests, 1) })
      log(`  ${which === 'three' ? '3 keys   ' : `${many.import.keys} keys`} round ${r + 1}: ${Math.round(run.rps)} req/s, ${(run.cpu[pid] / run.requests).toFixed(1)} µs CPU/req, ${run.errors} errors`)
    }
  }
  const median = xs => percentile(xs, 50)
  const errors = [...runs.three, ...runs.many].reduce((a, b) => a + b.errors, 0)
  // Each round pairs a 3-key run with the 1,000,000-key run right after it, so drift on a shared
  // machine hits both alike; the median of the rounds' ratios, not the best run of each side, so
  // that one lucky (or unlucky) run on either side does not decide the check.
  const paired = field => runs.many.map((m, i) => m[field] / runs.three[i][field])
  return {
    idleWait: idle, import: many.import, runs,
    threeRps: median(runs.three.map(x => x.rps)), manyRps: median(runs.many.map(x => x.rps)),
    roundRatios: paired('rps').map(r => round(r, 3)),
    ratio: round(median(paired('rps')), 3),
    // CPU per request is what a big pool could cost; on a busy machine it is steadier than req/s.
    cpuRatio: round(median(paired('cpuUsPerReq')), 3),
    errors, mockDistinctKeys: (await mock.stats()).distinctKeys,
  }
}
