// The bare reference proxy Keygate is measured against: the least a Node pass-through can do.
// Checks one client key, rotates over N upstream keys, forwards through one undici keep-alive
// pool, pipes the answer back (streams included) with backpressure, aborts upstream when the
// client goes away. No logging, no accounting, no failover.
//   node bench/reference-proxy.mjs --upstream http://127.0.0.1:PORT --keys 3 --client-key KEY
// Prints {"ready":true,"port":N} once listening.
import { createServer } from 'node:http'
import { Pool } from 'undici'

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback }
const upstream = arg('upstream')
const clientAuth = `Bearer ${arg('client-key', 'bench-client-key')}`
const keys = Array.from({ length: Number(arg('keys', '3')) }, (_, i) => `Bearer sk-bench-ref-${i}`)
const pool = new Pool(upstream, { connections: 1024, keepAliveTimeout: 60_000, pipelining: 1 })
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host'])
let next = 0

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
  if (req.headers.authorization !== clientAuth) { res.writeHead(401).end(); return }
  const headers = {}
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v
  headers.authorization = keys[next++ % keys.length]
  const ac = new AbortController()
  res.on('close', () => { if (!res.writableFinished) ac.abort() })
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  pool.request({ method: req.method, path: req.url, headers, body: hasBody ? req : null, signal: ac.signal })
    .then((up) => {
      const out = {}
      for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = v
      res.writeHead(up.statusCode, out)
      if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) res.flushHeaders()
      // pipe, not stream.pipeline: pipeline builds and aborts an AbortController per call, whose
      // DOMException was ~8 % of this proxy's CPU. pipe keeps the backpressure; errors end the response.
      up.body.on('error', () => res.destroy())
      up.body.pipe(res)
    })
    .catch(() => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy() })
})
server.listen(Number(arg('port', '0')), '127.0.0.1', 4096, () => {
  process.stdout.write(JSON.stringify({ ready: true, port: server.address().port }) + '\n')
})
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
