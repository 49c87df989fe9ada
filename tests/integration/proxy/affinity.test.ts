import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'

/**
 * Sticky keys through the official SDKs: a conversation's hint keeps it on one upstream key while
 * that key is usable, and a Response (or file) created through Keygate is continued on the key
 * that created it. Also the explanation headers, and that none of our headers reach the provider.
 */
const OA = Array.from({ length: 20 }, (_, i) => `sk-sticky-openai-${String(i).padStart(3, '0')}-abcdefgh${i}`)
const AN = Array.from({ length: 5 }, (_, i) => `sk-ant-sticky-${i}-abcdefghijklmnop${i}`)
const GE = Array.from({ length: 5 }, (_, i) => `AIza-sticky-gemini-${i}-abcdefghijk${i}`)
const M1 = ['sk-sticky-m1-a-abcdefghijkl', 'sk-sticky-m1-b-abcdefghijkl', 'sk-sticky-m1-c-abcdefghijkl']
const M2 = ['sk-sticky-m2-a-abcdefghijkl', 'sk-sticky-m2-b-abcdefghijkl', 'sk-sticky-m2-c-abcdefghijkl']
let mock: MockUpstream
let s: Seeded
let pk = ''
let aggOnly = ''
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded([
    { name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-4o-mini'], keys: OA, allowedPaths: ['POST /v1/files', 'GET /v1/files/*'] },
    { name: 'an', channel: 'anthropic', upstreams: [{ url: mock.url, weight: 1 }], models: ['claude-3-5-haiku-latest'], keys: AN },
    { name: 'ge', channel: 'gemini', upstreams: [{ url: mock.url, weight: 1 }], models: ['gemini-2.0-flash'], keys: GE },
    { name: 'sub', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: [], keys: ['sk-sticky-sub-key-0000-abcdefghijk'] },
    { name: 'agg', channel: 'openai', type: 'aggregate', models: ['gpt-agg'], subGroups: [{ name: 'sub', weight: 1 }] },
    { name: 'm1', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: [], keys: M1 },
    { name: 'm2', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: [], keys: M2 },
    { name: 'agg2', channel: 'openai', type: 'aggregate', models: ['gpt-agg2'], subGroups: [{ name: 'm1', weight: 1 }, { name: 'm2', weight: 1 }] },
  ], [{ name: 'all' }, { name: 'agg-only', groups: ['agg'] }])
  ;[pk, aggOnly] = s.proxyKeys as [string, string]
})
afterAll(async () => {
  const out = s?.server.output() ?? ''
  await s?.server.stop()
  await mock?.close()
  for (const k of [...OA, ...AN, ...GE]) expect(out.includes(k)).toBe(false)
})

const openai = (opts: ConstructorParameters<typeof OpenAI>[0] = {}) => new OpenAI({ apiKey: pk, baseURL: `${s.server.url}/v1`, maxRetries: 0, ...opts })
const lastKey = () => mock.requests.at(-1)!.key

describe('sticky keys', () => {
  it('x-keygate-affinity keeps a conversation on one key; the header never reaches the provider', async () => {
    mock.reset()
    for (const conv of ['alpha', 'beta']) {
      const used = new Set<string>()
      for (let i = 0; i < 6; i++) {
        await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [] }, { headers: { 'x-keygate-affinity': conv } })
        used.add(lastKey())
      }
      expect(used.size).toBe(1)
    }
    expect(mock.requests.some(r => Object.keys(r.headers).some(h => h.startsWith('x-keygate')))).toBe(false)
    // Without a hint the same requests rotate over the keys.
    mock.reset()
    for (let i = 0; i < 6; i++) await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [] })
    expect(new Set(mock.keysUsed()).size).toBe(6)
  })

  it('an aggregate keeps a conversation in one member and on one key', async () => {
    for (const conv of ['one', 'two', 'three', 'four']) {
      mock.reset()
      for (let i = 0; i < 6; i++) await openai().chat.completions.create({ model: 'gpt-agg2', messages: [] }, { headers: { 'x-keygate-affinity': conv } })
      expect(new Set(mock.keysUsed()).size).toBe(1)
    }
    mock.reset()
    for (let i = 0; i < 6; i++) await openai().chat.completions.create({ model: 'gpt-agg2', messages: [] })
    expect(new Set(mock.keysUsed()).size).toBeGreaterThan(2)
  })

  it('OpenAI prompt_cache_key, Anthropic metadata.user_id and Gemini cachedContent pin too', async () => {
    mock.reset()
    for (let i = 0; i < 5; i++) await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [], prompt_cache_key: 'conv-1' })
    const anthropic = new Anthropic({ apiKey: pk, baseURL: s.server.url, maxRetries: 0 })
    for (let i = 0; i < 5; i++) await anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'user-7' } })
    const gemini = new GoogleGenAI({ apiKey: pk, httpOptions: { baseUrl: s.server.url } })
    for (let i = 0; i < 5; i++) await gemini.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi', config: { cachedContent: 'cachedContents/abc' } })
    const used = (set: string[]) => new Set(mock.requests.filter(r => set.includes(r.key)).map(r => r.key)).size
    expect([used(OA), used(AN), used(GE)]).toEqual([1, 1, 1])
  })

  it('moves to the next key while the pinned one cools down, and comes back after', async () => {
    mock.reset()
    const ask = () => openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [], prompt_cache_key: 'conv-cool' })
    await ask()
    const home = lastKey()
    mock.onKey(home, { status: 429, headers: { 'retry-after': '2' }, times: 1 })
    await ask()
    const away = lastKey()
    expect(away).not.toBe(home)
    for (let i = 0; i < 3; i++) { await ask(); expect(lastKey()).toBe(away) }
    await sleep(2200)
    await ask()
    expect(lastKey()).toBe(home)
  })

  it('key hops for 1,000 conversations while 10 % of the keys cool down and come back', async () => {
    mock.reset()
    const client = openai()
    const N = 1000
    const turn = async () => {
      const keys: string[] = new Array(N)
      let next = 0
      await Promise.all(Array.from({ length: 16 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const before = mock.requests.length
          await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], prompt_cache_key: `c-${i}` })
          // The successful attempt is the last request recorded for this conversation.
          keys[i] = mock.requests.slice(before).filter(r => r.json?.prompt_cache_key === `c-${i}`).at(-1)!.key
        }
      }))
      return keys
    }
    const turns = [await turn()]
    const cooling = OA.slice(0, 2)
    for (const k of cooling) mock.onKey(k, { status: 429, headers: { 'retry-after': '3' } })
    turns.push(await turn(), await turn())
    for (const k of cooling) mock.onKey(k, {})
    // On a slow machine a cooldown may have run out and started again during those turns: wait for
    // the last one (key states reach the database within 500 ms).
    await sleep(800)
    const rows = await keyRows(s.server, s.groupIds.oa!)
    const coolingRows = rows.filter((r: any) => cooling.some(k => r.masked === maskSecret(k)))
    const until = Math.max(...coolingRows.map((r: any) => Number(r.cooldownUntil ?? 0)))
    await sleep(Math.max(0, until - Date.now()) + 300)
    turns.push(await turn(), await turn())
    let hops = 0, transitions = 0
    const hopped = new Set<number>()
    for (let t = 1; t < turns.length; t++) {
      for (let i = 0; i < N; i++) {
        transitions++
        if (turns[t]![i] !== turns[t - 1]![i]) { hops++; hopped.add(i) }
      }
    }
    const onCooling = turns[0]!.filter(k => cooling.includes(k)).length
    console.log(`key hops: ${hops} of ${transitions} turn-to-turn transitions (${(100 * hops / transitions).toFixed(1)} %); `
      + `${hopped.size} of ${N} conversations hopped, ${onCooling} were on the cooling keys`)
    // Only the conversations on a cooling key move: once away, once back.
    expect(hopped.size).toBe(onCooling)
    expect(hops).toBe(2 * onCooling)
    expect(turns[4]).toEqual(turns[0])
  }, 240_000)
})

describe('objects created through Keygate stay on their key', () => {
  it('previous_response_id goes to the key that created the response, plain or streamed', async () => {
    mock.reset()
    const client = openai()
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' })
    const creator = lastKey()
    for (let i = 0; i < 5; i++) {
      await client.responses.create({ model: 'gpt-4o-mini', input: 'more', previous_response_id: first.id })
      expect(lastKey()).toBe(creator)
    }
    let streamedId = ''
    for await (const ev of await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true })) {
      if (ev.type === 'response.created') streamedId = ev.response.id
    }
    const streamCreator = lastKey()
    expect(streamedId).toMatch(/^resp_/)
    for (let i = 0; i < 3; i++) {
      await client.responses.create({ model: 'gpt-4o-mini', input: 'more', previous_response_id: streamedId })
      expect(lastKey()).toBe(streamCreator)
    }
    // A proxy key that may not use the group gets nothing from naming the id.
    const other = openai({ apiKey: aggOnly })
    await expect(other.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: first.id })).rejects.toMatchObject({ status: 403 })
  })

  it('a file created through an allowed path is read back through the same key', async () => {
    mock.reset()
    const r = await fetch(`${s.server.url}/proxy/oa/v1/files`, { method: 'POST', headers: { 'authorization': `Bearer ${pk}`, 'content-type': 'application/octet-stream' }, body: 'x' })
    expect(r.status).toBe(200)
    const file = await r.json() as { id: string }
    const creator = lastKey()
    for (let i = 0; i < 4; i++) {
      await (await fetch(`${s.server.url}/proxy/oa/v1/files/${file.id}`, { headers: { authorization: `Bearer ${pk}` } })).text()
      expect(lastKey()).toBe(creator)
    }
  })
})

describe('x-keygate-explain', () => {
  it('names the group, the key id and the attempts, and why keys were passed over, never the key', async () => {
    mock.reset()
    const rows = await keyRows(s.server, s.groupIds.oa!)
    const idOf = (secret: string) => rows.find((r: any) => r.masked === maskSecret(secret)).id
    const ask = (headers: Record<string, string>) => openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [] }, { headers }).withResponse()
    const { response } = await ask({ 'x-keygate-explain': '1', 'x-keygate-affinity': 'explained' })
    const home = lastKey()
    expect(response.headers.get('x-keygate-group')).toBe('oa')
    expect(response.headers.get('x-keygate-key-id')).toBe(String(idOf(home)))
    expect(response.headers.get('x-keygate-attempts')).toBe('1')
    expect(response.headers.get('x-keygate-skipped')).toBe('none')

    mock.onKey(home, { status: 500, times: 1 })
    const again = (await ask({ 'x-keygate-explain': '1', 'x-keygate-affinity': 'explained' })).response
    expect(again.headers.get('x-keygate-attempts')).toBe('2')
    expect(again.headers.get('x-keygate-skipped')).toBe(`oa key ${idOf(home)}: HTTP 500`)
    expect(again.headers.get('x-keygate-key-id')).toBe(String(idOf(lastKey())))
    const all = [...again.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')
    for (const k of OA) expect(all).not.toContain(k)

    const plain = (await ask({})).response
    expect(plain.headers.get('x-keygate-group')).toBeNull()
  })

  it('does not name an aggregate\'s member the proxy key may not use by itself', async () => {
    const { response } = await openai({ apiKey: aggOnly }).chat.completions.create({ model: 'gpt-agg', messages: [] }, { headers: { 'x-keygate-explain': '1' } }).withResponse()
    expect(response.headers.get('x-keygate-group')).toBe('agg')
    const { response: full } = await openai().chat.completions.create({ model: 'gpt-agg', messages: [] }, { headers: { 'x-keygate-explain': '1' } }).withResponse()
    expect(full.headers.get('x-keygate-group')).toBe('agg/sub')
  })

  it('explains a 503: every key cooling', async () => {
    for (const k of AN) mock.onKey(k, { status: 429, headers: { 'retry-after': '30' } })
    const ask = () => fetch(`${s.server.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': pk, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-keygate-explain': '1' },
      body: JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    })
    const r = await ask()
    expect(r.status).toBe(429)
    expect(r.headers.get('x-keygate-attempts')).toBe('4')
    expect(r.headers.get('x-keygate-skipped')).toMatch(/^an key \d+: HTTP 429(, an key \d+: HTTP 429){3}, an: max_retries used up$/)
    // The fifth key cools too, then the pool is empty.
    expect((await ask()).headers.get('x-keygate-skipped')).toMatch(/^an key \d+: HTTP 429, an: no usable key$/)
    const none = await ask()
    expect(none.status).toBe(503)
    expect(none.headers.get('x-keygate-attempts')).toBe('0')
    expect(none.headers.get('x-keygate-skipped')).toBe('an: no usable key')
  })
})
