// A fast mock of OpenAI's chat completions for the benchmark. It accepts any key, answers a
// plain completion from a prebuilt buffer, or streams SSE chunks at a fixed pace and ends with
// a usage chunk and [DONE] (what `stream_options.include_usage` produces upstream).
//
// One process serves several profiles, each on its own loopback port, so Keygate groups can
// point at "fast", "paced stream" and "slow stream" upstreams without per-request knobs that a
// proxy might strip:
//   node bench/mock-upstream.mjs --profile fast:0:0:0 --profile stream:0:20:5 --profile slow:0:30:1000
// A profile is name:latencyMs:chunks:intervalMs (latency = delay before the response starts).
// It prints one JSON line {"ready":true,"ports":{name:port}} once every port listens.
// GET /__stats answers {requests, streams, errors, distinctKeys}; POST /__stats resets them.
import { createServer } from 'node:http'

const profiles = []
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] !== '--profile') continue
  const [name, latency, chunks, interval] = process.argv[++i].split(':')
  profiles.push({ name, latencyMs: Number(latency), chunks: Number(chunks), intervalMs: Number(interval) })
}
if (!profiles.length) profiles.push({ name: 'fast', latencyMs: 0, chunks: 20, intervalMs: 5 })

const stats = { requests: 0, streams: 0, errors: 0, keys: new Set() }
// Counting distinct keys proves rotation; capped so a million-key phase cannot grow it unbounded.
const KEY_SAMPLE_CAP = 200_000

const created = 1_700_000_000
const usage = { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 }
const plainBody = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created, model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark mock upstream.' }, logprobs: null, finish_reason: 'stop' }],
  usage,
}))
const plainHeaders = { 'content-type': 'application/json', 'content-length': String(plainBody.length) }
const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

const chunkFor = (i, model) => Buffer.from(`data: ${JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model,
  choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: 'tok' } : { content: ` tok${i}` }, finish_reason: null }],
})}\n\n`)
const usageChunk = Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'bench-model', choices: [], usage })}\n\ndata: [DONE]\n\n`)
const chunkCache = new Map()

function streamReply(res, profile) {
  stats.streams++
  res.writeHead(200, sseHeaders)
  // Headers go out at once, like a real provider; every chunk (the first too) waits one interval.
  res.flushHeaders()
  let sent = 0
  const timer = setInterval(() => {
    if (sent < profile.chunks) {
      let buf = chunkCache.get(sent)
      if (!buf) chunkCache.set(sent, buf = chunkFor(sent, 'bench-model'))
      res.write(buf)
      sent++
    } else {
      clearInterval(timer)
      res.end(usageChunk)
    }
  }, profile.intervalMs)
  res.on('close', () => clearInterval(timer))
}

function handle(profile, req, res) {
  if (req.url === '/__stats') {
    if (req.method === 'POST') { stats.requests = stats.streams = stats.errors = 0; stats.keys.clear() }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ requests: stats.requests, streams: stats.streams, errors: stats.errors, distinctKeys: stats.keys.size }))
    return
  }
  stats.requests++
  const auth = req.headers.authorization
  if (!auth) {
    stats.errors++
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end('{"error":{"message":"missing key","type":"invalid_request_error","code":"invalid_api_key"}}')
    return
  }
  if (stats.keys.size < KEY_SAMPLE_CAP) stats.keys.add(auth)
  const parts = []
  req.on('data', c => parts.push(c))
  req.on('end', () => {
    // A substring test instead of JSON.parse keeps the mock cheap: it shares a core with the load generator.
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts)
    const stream = body.includes('"stream":true') || body.includes('"stream": true')
    const reply = () => {
      if (stream) streamReply(res, profile)
      else { res.writeHead(200, plainHeaders); res.end(plainBody) }
    }
    if (profile.latencyMs > 0) setTimeout(reply, profile.latencyMs)
    else reply()
  })
}

const ports = {}
await Promise.all(profiles.map(profile => new Promise((resolve, reject) => {
  const options = { keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 }
  const server = createServer(options, (req, res) => handle(profile, req, res))
  server.maxRequestsPerSocket = 0
  server.on('error', reject)
  server.listen(0, '127.0.0.1', 4096, () => { ports[profile.name] = server.address().port; resolve() })
})))
process.stdout.write(JSON.stringify({ ready: true, ports }) + '\n')
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
