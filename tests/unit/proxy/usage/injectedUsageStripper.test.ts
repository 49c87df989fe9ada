import { describe, expect, it } from 'vitest'
import { createInjectedUsageStripper } from '../../../../server/proxy/channels/openai/streamUsage'
import { openaiChatStream } from './fixtures'

/** Writes the chunks one by one and records what came out after each write, synchronously. */
function feed(chunks: Buffer[]) {
  const s = createInjectedUsageStripper()
  const out: Buffer[] = []
  s.on('data', (b: Buffer) => out.push(b))
  const afterEach: string[] = []
  for (const c of chunks) {
    s.write(c)
    afterEach.push(Buffer.concat(out).toString())
  }
  s.end()
  return { text: Buffer.concat(out).toString(), afterEach, out }
}

function withoutUsageChunk(stream: string) {
  return stream.split('\n\n').filter(e => !e.includes('"choices":[]')).join('\n\n')
}

describe('createInjectedUsageStripper', () => {
  const injected = openaiChatStream({ includeUsage: true, cached: 4 })
  const events = injected.split(/(?<=\n\n)/)

  it('drops exactly the usage-only chunk and keeps everything else byte for byte, [DONE] included', () => {
    const { text } = feed([Buffer.from(injected)])
    expect(text).toBe(withoutUsageChunk(injected))
    expect(text).not.toContain('"choices":[]')
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(events.length - 1)
  })

  it('forwards each event as soon as it is complete, one chunk per event', () => {
    const { afterEach } = feed(events.map(e => Buffer.from(e)))
    let expected = ''
    events.forEach((e, i) => {
      if (!e.includes('"choices":[]')) expected += e
      expect(afterEach[i]).toBe(expected)
    })
  })

  it('passes a chunk of whole events through as the same Buffer', () => {
    const chunk = Buffer.from(events[1]! + events[2]!)
    const { out } = feed([chunk])
    expect(out).toHaveLength(1)
    expect(out[0]).toBe(chunk)
  })

  it('holds back only an unfinished event, and releases it the moment its end arrives', () => {
    const e = events[1]!
    const { afterEach } = feed([Buffer.from(events[0]! + e.slice(0, 10)), Buffer.from(e.slice(10))])
    expect(afterEach[0]).toBe(events[0])
    expect(afterEach[1]).toBe(events[0]! + e)
  })

  it('gives the same output for every split point and byte by byte', () => {
    const want = withoutUsageChunk(injected)
    const body = Buffer.from(injected)
    for (let cut = 1; cut < body.length; cut++) {
      const { text } = feed([body.subarray(0, cut), body.subarray(cut)])
      if (text !== want) expect({ cut, text }).toEqual({ cut, text: want })
    }
    expect(feed([...body].map(b => Buffer.from([b]))).text).toBe(want)
  })

  it('handles CRLF event boundaries and spaced JSON', () => {
    const spaced = 'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": null}\r\n\r\n'
      + 'data: {"id": "x", "choices": [ ], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}\r\n\r\n'
      + 'data: [DONE]\r\n\r\n'
    expect(feed([Buffer.from(spaced)]).text).toBe(
      'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": null}\r\n\r\ndata: [DONE]\r\n\r\n')
  })

  it('keeps chunks with empty choices but no usage (content-filter notices) and content that quotes the marker', () => {
    const filter = 'data: {"choices":[],"prompt_filter_results":[{"prompt_index":0}],"usage":null}\n\n'
    const quoting = 'data: {"choices":[{"delta":{"content":"\\"choices\\":[],\\"usage\\":{}"}}]}\n\n'
    const input = filter + quoting + 'data: [DONE]\n\n'
    expect(feed([Buffer.from(input)]).text).toBe(input)
  })

  it('forwards a stream that ends without a final blank line', () => {
    const input = events[0]! + 'data: [DONE]'
    expect(feed([Buffer.from(input)]).text).toBe(input)
  })

  it('leaves a stream without an injected usage chunk untouched', () => {
    const plain = openaiChatStream({ includeUsage: false })
    expect(feed([Buffer.from(plain)]).text).toBe(plain)
  })
})
