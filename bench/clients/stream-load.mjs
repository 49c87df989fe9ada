// Streaming client for the benchmark. Sends streamed chat completions and times, per stream,
// the first body byte and the last, and when each SSE event arrives (to see whether chunks are
// forwarded as they come or held and batched).
//   node bench/clients/stream-load.mjs --url URL --key KEY --model M --streams 200 --concurrency 10
// With --hold (slow-stream mode) all streams are opened at once and the client reports how many
// completed; it prints {"opened":N} as soon as every stream has its response headers.
// Prints one JSON line; times in milliseconds.
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { summarize } from '../lib/stats.mjs'

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback }
const url = new URL(arg('url'))
const streams = Number(arg('streams', '200'))
const concurrency = Number(arg('concurrency', '10'))
const timeoutMs = Number(arg('timeout', '120')) * 1000
const hold = process.argv.includes('--hold')
// --api anthropic: Anthropic Messages streams (POST /v1/messages), to time a converted stream.
const anthropic = arg('api', 'openai') === 'anthropic'
const body = anthropic
  ? JSON.stringify({ model: arg('model', 'bench-model'), stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'Say hello.' }] })
  : JSON.stringify({ model: arg('model', 'bench-model'), stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello.' }] })
const headers = anthropic
  ? { 'content-type': 'application/json', 'x-api-key': arg('key'), 'anthropic-version': '2023-06-01' }
  : { 'content-type': 'application/json', 'authorization': `Bearer ${arg('key')}` }
const END = anthropic ? 'message_stop' : '[DONE]'
const pool = new Pool(url.origin, {
  connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000, bodyTimeout: timeoutMs, headersTimeout: timeoutMs,
})
const path = url.pathname + url.search

const ttfb = []
const ttlb = []
const gaps = []
const eventsPerStream = []
const readsPerStream = []
let errors = 0
let usageSeen = 0
let headersIn = 0
const statuses = {}
const DATA = Buffer.from('data:')

function countEvents(buf) {
  let n = 0
  for (let i = buf.indexOf(DATA); i >= 0; i = buf.indexOf(DATA, i + 5)) n++
  return n
}

async function one() {
  const start = performance.now()
  const res = await pool.request({ method: 'POST', path, headers, body })
  headersIn++
  if (hold && headersIn === concurrency) process.stdout.write(JSON.stringify({ opened: headersIn }) + '\n')
  if (res.statusCode !== 200) {
    await res.body.text().catch(() => {})
    throw Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })
  }
  let first = 0
  let last = 0
  let events = 0
  let reads = 0
  let tail = ''
  for await (const chunk of res.body) {
    const now = performance.now()
    if (!first) first = now
    reads++
    const n = countEvents(chunk)
    // Gaps between consecutive events: events that arrive in the same read have a gap of 0.
    for (let k = 0; k < n; k++) { if (events > 0) gaps.push(k === 0 ? now - last : 0); events++ }
    if (n) last = now
    tail = (tail + chunk.toString('latin1')).slice(-400)
  }
  const end = performance.now()
  if (!tail.includes(END)) throw new Error(`stream ended without ${END}`)
  if (tail.includes('"usage"')) usageSeen++
  ttfb.push(first - start)
  ttlb.push(end - start)
  eventsPerStream.push(events)
  readsPerStream.push(reads)
}

let next = 0
async function worker() {
  while (next < streams) {
    next++
    try { await one() } catch (err) { errors++; const k = err.status ?? err.code ?? 'error'; statuses[k] = (statuses[k] ?? 0) + 1 }
  }
}

const hardStop = setTimeout(() => { errors += streams - ttfb.length - errors; report() }, timeoutMs + 5000)
const t0 = performance.now()
await Promise.all(Array.from({ length: Math.min(concurrency, streams) }, worker))
report()

function report() {
  clearTimeout(hardStop)
  process.stdout.write(JSON.stringify({
    streams, completed: ttfb.length, errors, statuses, usageSeen, wallMs: Math.round(performance.now() - t0),
    ttfbMs: summarize(ttfb), ttlbMs: summarize(ttlb), gapMs: summarize(gaps),
    eventsPerStream: summarize(eventsPerStream), readsPerStream: summarize(readsPerStream),
  }) + '\n')
  pool.destroy().finally(() => process.exit(0))
}
