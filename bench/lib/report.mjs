// Turns phase results into the benchmark checks (each a ratio or difference against the
// reference or the direct path from the same run) and prints them as a table.
import { round } from './stats.mjs'

const KG = [['kgProxy', 'Keygate /proxy/{group}'], ['kgV1', 'Keygate /v1']]

/** Every target figure as {name, value, limit, pass}; `pass` null when not measured. */
export function evaluate(results, cfg) {
  const checks = []
  const add = (name, value, limit, pass, note) => checks.push({
    name, value, limit, pass: value === undefined || Number.isNaN(value) ? null : pass, ...(note ? { note } : {}),
  })
  const t = results.throughput
  const l = results.latency
  const s = results.streaming
  for (const [key, label] of KG) {
    if (t) {
      add(`${label}: throughput / reference`, round(t[key].rps / t.reference.rps, 3), '≥ 0.90', t[key].rps / t.reference.rps >= 0.9)
      add(`${label}: CPU per request / reference`, round(t[key].cpuUsPerReq / t.reference.cpuUsPerReq, 3), '≤ 1.10', t[key].cpuUsPerReq / t.reference.cpuUsPerReq <= 1.1)
    }
    if (l) {
      add(`${label}: p50 added over direct at ${cfg.latency.rate} req/s (ms)`, l[key].addedP50Ms, '≤ 0.5', l[key].addedP50Ms <= 0.5)
      add(`${label}: p99 added over direct at ${cfg.latency.rate} req/s (ms)`, l[key].addedP99Ms, '≤ 2', l[key].addedP99Ms <= 2)
    }
    if (s) {
      add(`${label}: streaming first byte added over direct (ms)`, s[key].addedTtfbMs, '≤ 1', s[key].addedTtfbMs <= 1)
      // "Forwarded as it arrives": the typical gap stays at the upstream's pace and chunks are
      // not held back and released together (which would put many gaps near 0).
      const g = s[key].gapMs
      add(`${label}: chunk gap p50 / p10 (ms, upstream every 5)`, `${g.p50} / ${g.p10}`, 'p50 4–6, p10 ≥ 2.5', g.p50 >= 4 && g.p50 <= 6 && g.p10 >= 2.5)
    }
  }
  const cv = results.conversion
  if (cv) add('Keygate /v1/messages → OpenAI group: converted stream first byte added over same-API stream (ms)', cv.addedTtfbMs, '≤ 1', cv.addedTtfbMs <= 1)
  const slow = results.slowStreams
  if (slow) {
    add(`Keygate: peak RSS with ${slow.count} slow streams (MB)`, slow.peakMb, '≤ 300', slow.peakMb <= 300)
    add(`Keygate: RSS ${slow.settleSeconds} s after / before slow streams`, slow.afterRatio, '≤ 1.10', slow.afterRatio <= 1.1)
    add('Keygate: slow streams completed', `${slow.completed} / ${slow.count}`, 'all', slow.completed === slow.count && slow.errors === 0)
  }
  const mk = results.manyKeys
  if (mk) add(`Keygate: ${mk.import.keys.toLocaleString('en')}-key group throughput / 3-key group`, mk.ratio, '≥ 0.95', mk.ratio >= 0.95)
  else if (results.manyKeysError) add('Keygate: many-key group throughput / 3-key group', 'not measured', '≥ 0.95', false, results.manyKeysError)
  if (results.workers) checks.push(...results.workers.checks)
  // bench/checks: already {name, value, limit, pass}.
  if (results.timingChecks) checks.push(...results.timingChecks)
  const errs = []
  for (const [phase, data] of [['throughput', t], ['latency', l], ['streaming', s]]) {
    if (data) for (const [key] of [['direct'], ['reference'], ...KG]) errs.push([`${phase} ${key}`, data[key].errors])
  }
  if (cv) errs.push(['converted streams', cv.errors])
  if (slow) errs.push(['slow streams', slow.errors])
  if (mk) errs.push(['many keys', mk.errors])
  const total = errs.reduce((a, [, n]) => a + n, 0)
  add('errors in every phase', total, '0', total === 0, total ? errs.filter(([, n]) => n).map(([k, n]) => `${k}: ${n}`).join(', ') : undefined)
  return checks
}

const pad = (v, n) => String(v ?? '–').padStart(n)

/** The human-readable report. */
export function formatReport(results, checks) {
  const lines = []
  const t = results.throughput
  const l = results.latency
  const s = results.streaming
  const cols = ['direct', 'reference', 'kgProxy', 'kgV1']
  lines.push('', `Keygate benchmark (${results.mode}${results.standIn ? ', STAND-IN: reference proxy in Keygate\'s place' : ''}) ${results.startedAt}`)
  lines.push(`${''.padEnd(34)}${pad('direct', 12)}${pad('reference', 12)}${pad('kg /proxy', 12)}${pad('kg /v1', 12)}`)
  const row = (label, f) => lines.push(label.padEnd(34) + cols.map(c => pad(f(c), 12)).join(''))
  if (t) {
    row(`throughput, ${results.config.throughput.connections} conns (req/s)`, c => t[c].rps)
    row('CPU per request (µs)', c => t[c].cpuUsPerReq)
  }
  if (l) {
    row(`p50 at ${results.config.latency.rate} req/s (ms)`, c => l[c].latencyMs.p50)
    row(`p99 at ${results.config.latency.rate} req/s (ms)`, c => l[c].latencyMs.p99)
    row('  p50 added over direct (ms)', c => (c === 'direct' ? '' : l[c].addedP50Ms))
    row('  p99 added over direct (ms)', c => (c === 'direct' ? '' : l[c].addedP99Ms))
  }
  if (s) {
    row('stream first byte p50 (ms)', c => s[c].ttfbMs.p50)
    row('stream last byte p50 (ms)', c => s[c].ttlbMs.p50)
    row('  first byte added (ms)', c => (c === 'direct' ? '' : s[c].addedTtfbMs))
    row('chunk gap p10/p50/p90 (ms)', c => `${round(s[c].gapMs.p10, 1)}/${round(s[c].gapMs.p50, 1)}/${round(s[c].gapMs.p90, 1)}`)
  }
  if (results.peakRssMb) row('peak RSS (MB)', c => results.peakRssMb[c])
  if (results.conversion) {
    const c = results.conversion
    lines.push(`converted stream (Anthropic client, OpenAI group): first byte p50 ${c.converted.ttfbMs.p50} ms vs ${c.same.ttfbMs.p50} ms same-API (+${c.addedTtfbMs}); last byte p50 ${c.converted.ttlbMs.p50} vs ${c.same.ttlbMs.p50} ms; CPU per stream ${c.cpuUsPerStream.converted} vs ${c.cpuUsPerStream.same} µs`)
  }
  if (results.slowStreams) {
    const x = results.slowStreams
    lines.push(`slow streams: ${x.count} × ${x.chunks} s: RSS before ${x.beforeMb} MB, peak ${x.peakMb} MB, ${x.settleSeconds} s after ${x.afterMb} MB; ${x.completed} completed, ${x.errors} errors`)
  }
  if (results.manyKeys) {
    const m = results.manyKeys
    const imp = m.import.seconds
      ? `imported through the API in ${round(m.import.seconds, 1)} s (${Math.round(m.import.keysPerSecond)} keys/s), serving ${round(m.import.poolReadySeconds, 1)} s later, RSS ${m.import.rssMbWithKeys} MB, longest /health answer meanwhile ${m.import.maxHealthLatencyMs} ms`
      : m.import.note
    lines.push(`many keys: ${m.import.keys.toLocaleString('en')} keys ${imp}; median ${m.threeRps} req/s with 3 keys, ${m.manyRps} req/s with ${m.import.keys.toLocaleString('en')}; per round ${m.roundRatios?.join(', ')} × (CPU per request ${m.cpuRatio} × the 3-key group's); mock saw ${m.mockDistinctKeys} distinct keys`)
  }
  if (results.manyKeysError) lines.push(`many keys: NOT MEASURED: ${results.manyKeysError}`)
  if (results.warnings?.length) for (const w of results.warnings) lines.push(`warning: ${w}`)
  lines.push('', 'checks (targets; ratios against the reference / direct path of this run):')
  for (const c of checks) {
    const verdict = c.pass === null ? 'N/A ' : c.pass ? 'PASS' : 'FAIL'
    lines.push(`  ${verdict}  ${c.name.padEnd(84)} ${pad(c.value, 14)}  (${c.limit})${c.note ? `  ${c.note}` : ''}`)
  }
  if (results.error) lines.push('', `RUN FAILED: ${results.error}`)
  return lines.join('\n')
}
