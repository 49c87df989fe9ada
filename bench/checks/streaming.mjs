// Streaming latency, as tests/integration/proxy/streaming.test.ts measured it before its timing
// assertions moved here: how soon each chunk follows its upstream send (the first and the median
// within 20 ms), how soon a client abort reaches the upstream (100 ms), and how long two requests
// take when one of the group's keys stalls past request_timeout = 1 s (4 s).
import { startMockUpstream } from '../../tests/support/mockUpstream.ts'
import { startSeeded } from '../../tests/support/proxySeed.ts'
import { check, median, round, sleep } from './lib.mjs'

const KEY = { oa: 'sk-bench-stream-upstream-key-0001', slow: 'sk-bench-slow-upstream-key-00003', fast: 'sk-bench-fast-upstream-key-00004' }
const ROUNDS = 5
const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })

/** Reads an SSE response; returns the arrival time (ms epoch) of every event carrying content. */
async function contentArrivals(res) {
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  let buf = ''
  const at = []
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    const now = Date.now()
    buf += dec.decode(value, { stream: true })
    let i
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i)
      buf = buf.slice(i + 2)
      if (block.includes('"content"')) at.push(now)
    }
  }
  return at
}

export async function run(log) {
  const mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  const s = await startSeeded([
    { name: 'oa', channel: 'openai', upstreams: up, keys: [KEY.oa] },
    { name: 'timeout', channel: 'openai', upstreams: up, keys: [KEY.slow, KEY.fast], config: { request_timeout: 1 } },
  ], [{}])
  const headers = { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' }
  const out = []
  try {
    // Chunk pacing: 20 chunks 50 ms apart, ROUNDS streams one after another.
    const first = [], typical = []
    for (let r = 0; r < ROUNDS; r++) {
      mock.reset()
      mock.onKey(KEY.oa, { chunks: 20, intervalMs: 50 })
      const res = await fetch(`${s.server.url}/proxy/oa/v1/chat/completions`, { method: 'POST', headers, body: streamBody })
      const at = await contentArrivals(res)
      const sent = mock.requests[0].chunkTimes
      if (at.length !== 20 || sent.length !== 20) throw new Error(`stream ${r}: ${at.length} chunks arrived, ${sent.length} sent (20 expected)`)
      first.push(at[0] - sent[0])
      typical.push(median(at.map((t, i) => t - sent[i])))
    }
    log(`  streaming: first-chunk lag per stream ${first.join(', ')} ms; median lag per stream ${typical.join(', ')} ms`)
    out.push(check(`streaming: first chunk after its upstream send (ms, median of ${ROUNDS} streams)`, median(first), '< 20', median(first) < 20, `per stream: ${first.join(', ')}`))
    out.push(check(`streaming: median chunk lag behind the upstream (ms, median of ${ROUNDS} streams)`, median(typical), '< 20', median(typical) < 20, `per stream: ${typical.join(', ')}`))

    // A client abort: how long until the upstream sees its request closed.
    const abortLags = []
    for (let r = 0; r < 3; r++) {
      mock.reset()
      mock.onKey(KEY.oa, { chunks: 50, intervalMs: 100 })
      const ac = new AbortController()
      const res = await fetch(`${s.server.url}/proxy/oa/v1/chat/completions`, { method: 'POST', headers, body: streamBody, signal: ac.signal })
      await res.body.getReader().read()
      await sleep(150)
      const abortedAt = Date.now()
      ac.abort()
      await mock.waitFor(() => mock.requests[0]?.abortedAt !== undefined, 5000)
      abortLags.push(mock.requests[0].abortedAt - abortedAt)
      await sleep(200)
    }
    out.push(check('streaming: client abort reaches the upstream (ms, median of 3)', median(abortLags), '< 100', median(abortLags) < 100, `each: ${abortLags.join(', ')}`))

    // Two requests on a group whose first key stalls: each fails over after request_timeout (1 s).
    mock.reset()
    mock.onKey(KEY.slow, { stall: true })
    const started = Date.now()
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${s.server.url}/proxy/timeout/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }) })
      await r.text()
      if (r.status !== 200) throw new Error(`failover request answered ${r.status}`)
    }
    const took = Date.now() - started
    out.push(check('streaming: 2 requests failing over from a stalled key, request_timeout 1 s (ms)', took, '< 4000', took < 4000))
  } finally {
    await s.server.stop()
    await mock.close()
  }
  return out.map(c => (typeof c.value === 'number' ? { ...c, value: round(c.value) } : c))
}
