import OpenAI from 'openai'

export type TrafficResult = { sent: number; served: number; failures: string[] }

/**
 * Steady traffic for a fault window: every `everyMs`, one plain and one streamed chat completion
 * through the OpenAI SDK, until `stop()` resolves the returned promise's loop. A stream counts as
 * served only when it ended normally with content.
 */
export function steadyTraffic(baseURL: string, apiKey: string, model = 'gpt-4o-mini', everyMs = 250) {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 30_000 })
  const result: TrafficResult = { sent: 0, served: 0, failures: [] }
  const pending = new Set<Promise<void>>()
  let running = true
  const one = async (stream: boolean) => {
    result.sent++
    try {
      let text = ''
      if (stream) {
        for await (const c of await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true })) text += c.choices[0]?.delta.content ?? ''
      } else {
        text = (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content ?? ''
      }
      if (text.includes('Hello')) result.served++
      else result.failures.push(`${stream ? 'stream' : 'plain'}: empty answer`)
    } catch (e) {
      result.failures.push(`${stream ? 'stream' : 'plain'}: ${(e as Error).message}`)
    }
  }
  const loop = (async () => {
    while (running) {
      for (const stream of [false, true]) {
        const p = one(stream)
        pending.add(p)
        void p.finally(() => pending.delete(p))
      }
      await new Promise(r => setTimeout(r, everyMs))
    }
    await Promise.all([...pending])
  })()
  return {
    result,
    async stop(): Promise<TrafficResult> { running = false; await loop; return result },
  }
}
