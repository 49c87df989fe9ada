// Open-loop, fixed-rate load (wrk2 style): request i is due at t0 + i/rate, whether or not
// earlier ones have answered. Latency is measured from that intended send time, so a stall in
// the server shows up as queueing in every request it delays (no coordinated omission). The
// real send lag (actual send - intended) is reported too, so the driver's own pacing is visible.
//   node bench/clients/paced-load.mjs --url URL --key KEY --body JSON --rate 1000 --seconds 10 --warmup 2
// Prints one JSON line with latency summaries in milliseconds.
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { summarize } from '../lib/stats.mjs'

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback }
const url = new URL(arg('url'))
const rate = Number(arg('rate', '1000'))
const seconds = Number(arg('seconds', '10'))
const warmup = Number(arg('warmup', '2'))
const body = arg('body')
const headers = { 'content-type': 'application/json', 'authorization': `Bearer ${arg('key')}` }
const pool = new Pool(url.origin, { connections: Number(arg('connections', '64')), pipelining: 1, keepAliveTimeout: 60_000 })
const path = url.pathname + url.search

const total = Math.round(rate * (warmup + seconds))
const skip = Math.round(rate * warmup)
const interval = 1000 / rate
const latency = new Float64Array(total - skip)
const service = new Float64Array(total - skip)
const lag = new Float64Array(total - skip)
let measured = 0
let errors = 0
const statuses = {}
let done = 0
let sent = 0

function send(i, intended) {
  const actual = performance.now()
  pool.request({ method: 'POST', path, headers, body })
    .then(async (res) => {
      await res.body.text()
      if (res.statusCode !== 200) { errors++; statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1 }
      return res.statusCode
    })
    .catch(() => { errors++; statuses.transport = (statuses.transport ?? 0) + 1 })
    .finally(() => {
      const end = performance.now()
      if (i >= skip) {
        latency[measured] = end - intended
        service[measured] = end - actual
        lag[measured] = actual - intended
        measured++
      }
      if (++done === total) finish()
    })
}

const t0 = performance.now() + 20
function tick() {
  const now = performance.now()
  // Catch up on every request that is due: the schedule, not the timer, decides send times.
  while (sent < total && t0 + sent * interval <= now) { send(sent, t0 + sent * interval); sent++ }
  if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()))
}
setTimeout(tick, 20)

// Bounded: whatever has not answered 10 s after the last send counts as an error.
const hardStop = setTimeout(() => { errors += total - done; finish() }, (warmup + seconds + 10) * 1000 + 100)

let finished = false
function finish() {
  if (finished) return
  finished = true
  clearTimeout(hardStop)
  const n = measured
  process.stdout.write(JSON.stringify({
    rate, seconds, sent: total, measured: n, errors, statuses,
    achievedRate: Math.round((n / seconds) * 10) / 10,
    latencyMs: summarize(latency.subarray(0, n)),
    serviceMs: summarize(service.subarray(0, n)),
    sendLagMs: summarize(lag.subarray(0, n)),
  }) + '\n')
  pool.destroy().finally(() => process.exit(0))
}
