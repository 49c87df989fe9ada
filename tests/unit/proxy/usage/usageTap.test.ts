import { describe, expect, it } from 'vitest'
import { channelFor } from '../../../../server/proxy/channels'
import type { Usage } from '../../../../server/proxy/usage'
import type { ChannelType } from '../../../../shared/types/rows'
import * as f from './fixtures'

/** `path`: the request path when it decides the dialect (Gemini's OpenAI mode). */
type Case = { name: string; channel: ChannelType; path?: string; stream: boolean; body: string; want: Usage }

/** The usage reader the proxy uses for an answer of this channel on this path. */
const createUsageTap = (channel: ChannelType, path = '/') => channelFor(channel).dialect(path).usageTap()

const cases: Case[] = [
  { name: 'OpenAI chat, plain', channel: 'openai', stream: false, body: f.openaiChatPlain(), want: { promptTokens: 1117, completionTokens: 46, cachedTokens: 0 } },
  { name: 'OpenAI chat, plain, cached', channel: 'openai', stream: false, body: f.openaiChatPlain(1024), want: { promptTokens: 1117, completionTokens: 46, cachedTokens: 1024 } },
  { name: 'OpenAI chat, streamed', channel: 'openai', stream: true, body: f.openaiChatStream({ includeUsage: true }), want: { promptTokens: 19, completionTokens: 10, cachedTokens: 0 } },
  { name: 'OpenAI chat, streamed, cached', channel: 'openai', stream: true, body: f.openaiChatStream({ includeUsage: true, cached: 16 }), want: { promptTokens: 19, completionTokens: 10, cachedTokens: 16 } },
  { name: 'Gemini /v1beta/openai mode, streamed', channel: 'gemini', path: '/v1beta/openai/chat/completions', stream: true, body: f.openaiChatStream({ includeUsage: true, cached: 3 }), want: { promptTokens: 19, completionTokens: 10, cachedTokens: 3 } },
  { name: 'Responses, plain', channel: 'openai-response', stream: false, body: f.openaiResponsesPlain(), want: { promptTokens: 328, completionTokens: 52, cachedTokens: 0 } },
  { name: 'Responses, plain, cached', channel: 'openai-response', stream: false, body: f.openaiResponsesPlain(256), want: { promptTokens: 328, completionTokens: 52, cachedTokens: 256 } },
  { name: 'Responses, streamed', channel: 'openai-response', stream: true, body: f.openaiResponsesStream(), want: { promptTokens: 328, completionTokens: 52, cachedTokens: 0 } },
  { name: 'Responses, streamed, cached', channel: 'openai-response', stream: true, body: f.openaiResponsesStream(128), want: { promptTokens: 328, completionTokens: 52, cachedTokens: 128 } },
  { name: 'Responses through an openai group', channel: 'openai', stream: true, body: f.openaiResponsesStream(64), want: { promptTokens: 328, completionTokens: 52, cachedTokens: 64 } },
  { name: 'Anthropic, plain', channel: 'anthropic', stream: false, body: f.anthropicPlain(), want: { promptTokens: 472, completionTokens: 89, cachedTokens: 0, cacheWriteTokens: 0 } },
  { name: 'Anthropic, plain, cache read and write', channel: 'anthropic', stream: false, body: f.anthropicPlain(1000, 200), want: { promptTokens: 1672, completionTokens: 89, cachedTokens: 1000, cacheWriteTokens: 200 } },
  { name: 'Anthropic, streamed', channel: 'anthropic', stream: true, body: f.anthropicStream(), want: { promptTokens: 472, completionTokens: 15, cachedTokens: 0, cacheWriteTokens: 0 } },
  { name: 'Anthropic, streamed, cache read', channel: 'anthropic', stream: true, body: f.anthropicStream(2048), want: { promptTokens: 2520, completionTokens: 15, cachedTokens: 2048, cacheWriteTokens: 0 } },
  { name: 'Gemini, plain', channel: 'gemini', stream: false, body: f.geminiPlain(), want: { promptTokens: 2048, completionTokens: 12, cachedTokens: 0 } },
  { name: 'Gemini, plain, cached and thinking', channel: 'gemini', stream: false, body: f.geminiPlain(1024, 30), want: { promptTokens: 2048, completionTokens: 42, cachedTokens: 1024 } },
  { name: 'Gemini, SSE', channel: 'gemini', stream: true, body: f.geminiSse(), want: { promptTokens: 2048, completionTokens: 12, cachedTokens: 0 } },
  { name: 'Gemini, SSE, cached and thinking', channel: 'gemini', stream: true, body: f.geminiSse(512, 100), want: { promptTokens: 2048, completionTokens: 112, cachedTokens: 512 } },
  { name: 'Gemini, streamed JSON array', channel: 'gemini', stream: true, body: f.geminiJsonArrayStream(256, 7), want: { promptTokens: 2048, completionTokens: 19, cachedTokens: 256 } },
]

function run(c: Case, chunks: Buffer[]) {
  const tap = createUsageTap(c.channel, c.path)
  for (const chunk of chunks) tap.push(chunk)
  return tap.finish()
}

/** Splits like a socket would, and reuses memory like a pooled producer may after each push. */
function splitAt(body: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = []
  let prev = 0
  for (const cut of [...cuts, body.length]) {
    if (cut > prev) out.push(body.subarray(prev, cut))
    prev = cut
  }
  return out
}

function seeded(seed: number) {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
}

describe('usage taps (each dialect\'s usageTap)', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const body = Buffer.from(c.body)

      it('reads the usage from the whole body in one chunk', () => {
        expect(run(c, [body])).toEqual(c.want)
      })

      it('reads the same usage when the body is split in two at every byte', () => {
        for (let cut = 1; cut < body.length; cut++) {
          const got = run(c, splitAt(body, [cut]))
          if (JSON.stringify(got) !== JSON.stringify(c.want)) expect({ cut, got }).toEqual({ cut, want: c.want })
        }
      })

      it('reads the same usage byte by byte and in random splits', () => {
        expect(run(c, [...body].map(b => Buffer.from([b])))).toEqual(c.want)
        const rnd = seeded(body.length)
        for (let round = 0; round < 50; round++) {
          const cuts = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * body.length)).sort((a, b) => a - b)
          expect(run(c, splitAt(body, cuts))).toEqual(c.want)
        }
      })

      it('is not fooled when the producer reuses a chunk buffer after push', () => {
        const tap = createUsageTap(c.channel, c.path)
        const scratch = Buffer.alloc(7)
        for (let i = 0; i < body.length; i += 7) {
          const n = body.copy(scratch, 0, i, i + 7)
          tap.push(scratch.subarray(0, n))
          scratch.fill(0x7b) // '{' everywhere: would corrupt anything the tap kept a view of
        }
        expect(tap.finish()).toEqual(c.want)
      })
    })
  }

  it('ignores keys that merely end in the usage key, at every split point', () => {
    const body = Buffer.from('{"usage":{"prompt_tokens":1,"completion_tokens":2},"xusage":{"prompt_tokens":99,"completion_tokens":99},"nousage" : {"input_tokens":98},"usage_note":{"prompt_tokens":97}}')
    const gem = Buffer.from('{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":5},"cachedusageMetadata":{"promptTokenCount":96}}')
    for (let cut = 0; cut <= body.length; cut++) {
      expect(run({ name: '', channel: 'openai', stream: false, body: '', want: null as never }, splitAt(body, [cut]))).toEqual({ promptTokens: 1, completionTokens: 2, cachedTokens: 0 })
    }
    for (let cut = 0; cut <= gem.length; cut++) {
      expect(run({ name: '', channel: 'gemini', stream: false, body: '', want: null as never }, splitAt(gem, [cut]))).toEqual({ promptTokens: 4, completionTokens: 5, cachedTokens: 0 })
    }
    expect(run({ name: '', channel: 'openai', stream: false, body: '', want: null as never }, [...body].map(b => Buffer.from([b])))).toEqual({ promptTokens: 1, completionTokens: 2, cachedTokens: 0 })
  })

  it('returns null when the response has no usage', () => {
    expect(run({ name: '', channel: 'openai', stream: true, body: '', want: null as never }, [Buffer.from(f.openaiChatStream({ includeUsage: false }))])).toBeNull()
    expect(createUsageTap('anthropic').finish()).toBeNull()
    const tap = createUsageTap('gemini')
    tap.push(Buffer.from('{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}'))
    expect(tap.finish()).toBeNull()
  })

  it('returns null for a body cut off inside the usage object', () => {
    const body = f.openaiChatPlain(5)
    const tap = createUsageTap('openai')
    tap.push(Buffer.from(body.slice(0, body.indexOf('"completion_tokens"'))))
    expect(tap.finish()).toBeNull()
  })

  it('reads the usage after megabytes of content without keeping them', () => {
    const tap = createUsageTap('openai')
    const filler = Buffer.alloc(1024 * 1024, 'a')
    tap.push(Buffer.from('{"choices":[{"message":{"content":"'))
    for (let i = 0; i < 12; i++) tap.push(filler)
    tap.push(Buffer.from('"}}],"usage":{"prompt_tokens":3,"completion_tokens":4000000}}'))
    expect(tap.finish()).toEqual({ promptTokens: 3, completionTokens: 4000000, cachedTokens: 0 })
  })

  it('gives up on an absurdly large usage object instead of growing without bound', () => {
    const tap = createUsageTap('openai')
    tap.push(Buffer.from('{"usage":{"x":"'))
    for (let i = 0; i < 10; i++) tap.push(Buffer.alloc(64 * 1024, 'b'))
    tap.push(Buffer.from('"}, "more": {"usage": {"prompt_tokens": 1, "completion_tokens": 2}}}'))
    expect(tap.finish()).toEqual({ promptTokens: 1, completionTokens: 2, cachedTokens: 0 })
  })
})
