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

/** What the client would have received had nobody asked for usage: no usage chunk, no `"usage":null`. */
function withoutUsageChunk(stream: string) {
  return stream.split('\n\n').filter(e => !e.includes('"choices":[]')).join('\n\n').replaceAll(',"usage":null', '')
}

describe('createInjectedUsageStripper', () => {
  const injected = openaiChatStream({ includeUsage: true, cached: 4 })
  const events = injected.split(/(?<=\n\n)/)
  const stripped = (e: string) => e.replaceAll(',"usage":null', '')

  it('gives the client exactly the stream it asked for: the one OpenAI sends without include_usage', () => {
    expect(feed([Buffer.from(injected)]).text).toBe(openaiChatStream({ includeUsage: false }))
  })

  it('drops exactly the usage-only chunk and the null usage of the others, [DONE] included', () => {
    const { text } = feed([Buffer.from(injected)])
    expect(text).toBe(withoutUsageChunk(injected))
    expect(text).not.toContain('"usage"')
    expect(text).not.toContain('"choices":[]')
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(events.length - 1)
  })

  it('forwards each event as soon as it is complete, one chunk per event', () => {
    const { afterEach } = feed(events.map(e => Buffer.from(e)))
    let expected = ''
    events.forEach((e, i) => {
      if (!e.includes('"choices":[]')) expected += stripped(e)
      expect(afterEach[i]).toBe(expected)
    })
  })

  it('passes a chunk of whole events that mention no usage through as the same Buffer', () => {
    const plain = openaiChatStream({ includeUsage: false }).split(/(?<=\n\n)/)
    const chunk = Buffer.from(plain[1]! + plain[2]!)
    const { out } = feed([chunk])
    expect(out).toHaveLength(1)
    expect(out[0]).toBe(chunk)
  })

  it('holds back only an unfinished event, and releases it the moment its end arrives', () => {
    const e = events[1]!
    const { afterEach } = feed([Buffer.from(events[0]! + e.slice(0, 10)), Buffer.from(e.slice(10))])
    expect(afterEach[0]).toBe(stripped(events[0]!))
    expect(afterEach[1]).toBe(stripped(events[0]! + e))
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
      'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}]}\r\n\r\ndata: [DONE]\r\n\r\n')
  })

  it('keeps chunks with empty choices but no usage (content-filter notices) and content that quotes the marker', () => {
    const filter = 'data: {"choices":[],"prompt_filter_results":[{"prompt_index":0}],"usage":null}\n\n'
    const quoting = 'data: {"choices":[{"delta":{"content":"\\"choices\\":[],\\"usage\\":{}, \\"usage\\":null"}}]}\n\n'
    const input = filter + quoting + 'data: [DONE]\n\n'
    expect(feed([Buffer.from(input)]).text).toBe(filter.replace(',"usage":null', '') + quoting + 'data: [DONE]\n\n')
  })

  it('removes a null usage wherever it stands among the members, and leaves a nested one alone', () => {
    const first = 'data: {"usage": null, "id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    const middle = 'data: {"id":"x","usage":null,"obfuscation":"abc","choices":[{"index":0,"delta":{"content":"b"}}]}\n\n'
    const alone = 'data: {"usage":null}\n\n'
    const nested = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"c"},"usage":null}]}\n\n'
    expect(feed([Buffer.from(first + middle + alone + nested)]).text).toBe(
      'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
      + 'data: {"id":"x","obfuscation":"abc","choices":[{"index":0,"delta":{"content":"b"}}]}\n\n'
      + 'data: {}\n\n' + nested)
  })

  it('forwards a stream that ends without a final blank line', () => {
    const input = events[0]! + 'data: [DONE]'
    expect(feed([Buffer.from(input)]).text).toBe(stripped(input))
  })

  it('leaves a stream without an injected usage chunk untouched', () => {
    const plain = openaiChatStream({ includeUsage: false })
    expect(feed([Buffer.from(plain)]).text).toBe(plain)
  })
})
