// The converted-stream phase: the same OpenAI-channel group streamed to an OpenAI client (no
// conversion) and to an Anthropic client (each chunk converted to Anthropic's events as it
// arrives), in alternating rounds. The figure is what conversion adds to the first byte.
import { runStreams } from './load.mjs'
import { addKeys, benchKeys } from './keygate.mjs'
import { cpuMicros } from './procs.mjs'
import { round } from './stats.mjs'

export const CONVERT_MODEL = 'bench-convert-model'

/** Creates the group (acceptsConversions on) on the running Keygate and waits until it serves. */
async function convertingGroup(subject, mock) {
  const kg = subject.kg
  const g = await kg.api('POST', '/api/groups', {
    name: 'bench-convert', displayName: 'bench convert', channel: 'openai', upstreams: [{ url: mock.fast, weight: 1 }],
    models: [CONVERT_MODEL], testModel: CONVERT_MODEL, acceptsConversions: true,
  })
  await addKeys(kg, g.id, benchKeys(3, 'sk-bench-c-'))
  const deadline = Date.now() + 30_000
  for (;;) {
    const res = await fetch(`${kg.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': subject.key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: CONVERT_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    })
    const text = await res.text()
    if (res.status === 200 && text.includes('"type":"message"')) return
    if (Date.now() > deadline) throw new Error(`the converting group does not serve: ${res.status} ${text.slice(0, 300)}`)
    await new Promise(r => setTimeout(r, 250))
  }
}

/** Rounds alternate same-API and converted streams; each side keeps its round with the lowest median first byte. */
export async function convertedStreams(subject, mock, cfg, log) {
  await convertingGroup(subject, mock)
  const kg = subject.kg
  const sides = {
    same: { url: `${kg.url}/v1/chat/completions`, api: 'openai' },
    converted: { url: `${kg.url}/v1/messages`, api: 'anthropic' },
  }
  const rounds = cfg.rounds ?? 1
  const perRound = Math.ceil(cfg.streams / rounds)
  const runs = { same: [], converted: [] }
  const run = (side, streams) => runStreams({ ...side, key: subject.key, model: CONVERT_MODEL, streams, concurrency: cfg.concurrency })
  for (const s of Object.values(sides)) await run(s, cfg.concurrency)
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? ['converted', 'same'] : ['same', 'converted']) {
      const cpu = cpuMicros(subject.pid)
      const x = await run(sides[name], perRound)
      // CPU per stream moves less with the machine's load than first-byte times do.
      x.cpuUsPerStream = round((cpuMicros(subject.pid) - cpu) / perRound, 0)
      runs[name].push(x)
      log(`  ${name.padEnd(10)} round ${r + 1}: TTFB p50 ${x.ttfbMs.p50} ms, last byte p50 ${x.ttlbMs.p50} ms, chunk gap p10/p50/p90 ${x.gapMs.p10}/${x.gapMs.p50}/${x.gapMs.p90} ms, ${x.cpuUsPerStream} µs CPU/stream, ${x.errors} errors`)
    }
  }
  const best = xs => xs.reduce((a, b) => (b.ttfbMs.p50 < a.ttfbMs.p50 ? b : a))
  const same = best(runs.same)
  const converted = best(runs.converted)
  return {
    same: { ttfbMs: same.ttfbMs, ttlbMs: same.ttlbMs, gapMs: same.gapMs },
    converted: { ttfbMs: converted.ttfbMs, ttlbMs: converted.ttlbMs, gapMs: converted.gapMs },
    addedTtfbMs: round(converted.ttfbMs.p50 - same.ttfbMs.p50, 3),
    addedTtlbMs: round(converted.ttlbMs.p50 - same.ttlbMs.p50, 3),
    cpuUsPerStream: {
      same: Math.min(...runs.same.map(x => x.cpuUsPerStream)), converted: Math.min(...runs.converted.map(x => x.cpuUsPerStream)),
    },
    errors: [...runs.same, ...runs.converted].reduce((a, b) => a + b.errors, 0),
    rounds: runs,
  }
}
