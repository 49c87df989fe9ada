// In-process cost of format conversion on a stream (the part of "first byte added ≤ 1 ms" that
// conversion itself owns; the HTTP-level comparison is the bench's `conversion` phase, whose
// milliseconds a busy machine swamps): per stream, the time from the upstream's first chunk
// entering a fresh converter (OpenAI chunks → Anthropic events) to the client's first bytes
// leaving it, and the CPU per converted event over whole 20-chunk streams.
import { check, round } from './lib.mjs'

const chunk = (delta, finish = null) => Buffer.from(`data: ${JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'bench-model',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
})}\n\n`)
const CHUNKS = [chunk({ role: 'assistant', content: 'tok' }), ...Array.from({ length: 19 }, (_, i) => chunk({ content: ` tok${i + 1}` })), chunk({}, 'stop'),
  Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'bench-model', choices: [], usage: { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 } })}\n\ndata: [DONE]\n\n`)]

export async function run() {
  const { formatOf } = await import('../../server/proxy/formats/index.ts')
  const { streamConverter } = await import('../../server/proxy/formats/stream.ts')
  const openai = formatOf('openai')
  const anthropic = formatOf('anthropic')
  const req = anthropic.parseRequest('/v1/messages', new URLSearchParams(), { model: 'bench-model', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const oneStream = async (timeFirst) => {
    const t = streamConverter(openai.streamDecoder(), anthropic.streamEncoder(req))
    let first = 0
    const start = performance.now()
    t.once('data', () => { first = performance.now() - start })
    t.on('data', () => {})
    if (timeFirst) { t.write(CHUNKS[0]); await new Promise(r => setImmediate(r)); t.destroy(); return first }
    for (const c of CHUNKS) t.write(c)
    await new Promise((resolve, reject) => { t.on('end', resolve); t.on('error', reject); t.end() })
    return 0
  }
  for (let i = 0; i < 500; i++) await oneStream(false)
  const firsts = []
  for (let i = 0; i < 2000; i++) firsts.push(await oneStream(true))
  firsts.sort((a, b) => a - b)
  const p = q => firsts[Math.min(firsts.length - 1, Math.floor(q * firsts.length))]
  const n = 2000
  const cpu = process.cpuUsage()
  for (let i = 0; i < n; i++) await oneStream(false)
  const used = process.cpuUsage(cpu)
  const perEvent = (used.user + used.system) / (n * CHUNKS.length)
  return [
    check('conversion: first converted bytes after the first upstream chunk, p50 / p99 (ms)', `${round(p(0.5), 3)} / ${round(p(0.99), 3)}`, '≤ 1', p(0.99) <= 1),
    check('conversion: CPU per converted stream event, OpenAI chunks → Anthropic events (µs)', round(perEvent, 1), 'for information', null),
  ]
}
