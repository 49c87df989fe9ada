import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'
import { createRecorder } from '../../support/recorder'

/**
 * On the unified routes, a request whose preferred group cannot serve it (every attempt refused,
 * throttled, 5xx or unreachable) moves on, within the same request, to the next group serving the
 * model, and in an aggregate to the next sub-group, before anything reaches the client.
 */
const k = (name: string) => `sk-${name}-crossgroup-upstream-0123456789`
const PRIMARY = [k('p1'), k('p2')]
const BACKUP = k('backup')
const SUB_A = [k('a1'), k('a2'), k('a3')]
const SUB_B = k('b1')
const AN_PRIMARY = k('anp')
const AN_BACKUP = k('anb')
const ALL = [...PRIMARY, BACKUP, ...SUB_A, SUB_B, AN_PRIMARY, AN_BACKUP]
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  // A high blacklist_threshold keeps the failing keys usable, so the budget (not an empty
  // pool) is what has to hand the request over.
  const keep = { blacklist_threshold: 100, max_retries: 3 }
  s = await startSeeded([
    { name: 'primary', channel: 'openai', upstreams: up, models: ['xg-*'], priority: 0, keys: PRIMARY, config: keep },
    { name: 'backup', channel: 'openai', upstreams: up, models: ['xg-*'], priority: 5, keys: [BACKUP] },
    { name: 'suba', channel: 'openai', upstreams: up, models: [], keys: SUB_A, config: keep },
    { name: 'subb', channel: 'openai', upstreams: up, models: [], keys: [SUB_B] },
    { name: 'agg', channel: 'openai', type: 'aggregate', models: ['xagg-model'], subGroups: [{ name: 'suba', weight: 20 }, { name: 'subb', weight: 1 }] },
    { name: 'an-primary', channel: 'anthropic', upstreams: up, models: ['claude-xg'], priority: 0, keys: [AN_PRIMARY], config: keep },
    { name: 'an-backup', channel: 'anthropic', upstreams: up, models: ['claude-xg'], priority: 1, keys: [AN_BACKUP] },
  ])
})
beforeEach(() => mock.reset())
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(ALL, [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

const openai = () => new OpenAI({ apiKey: s.proxyKeys[0]!, baseURL: `${s.server.url}/v1`, fetch: rec.fetch, maxRetries: 0 })
const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] })

async function collectText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = ''
  for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
  return text
}

describe('failover across groups within one request', () => {
  it('a group whose keys all answer 401 hands the request to the next group by priority (plain and streamed)', async () => {
    for (const key of PRIMARY) mock.onKey(key, { status: 401 })
    const got = await openai().chat.completions.create(ask('xg-one'))
    expect(got.choices[0]!.message.content).toContain('Hello from xg-one')
    const used = mock.keysUsed()
    // The whole budget of the preferred group (max_retries 3 → 4 attempts), then the backup.
    expect(used.slice(0, 4).every(x => PRIMARY.includes(x))).toBe(true)
    expect(used.slice(4)).toEqual([BACKUP])

    mock.reset()
    for (const key of PRIMARY) mock.onKey(key, { status: 401 })
    const text = await collectText(await openai().chat.completions.create({ ...ask('xg-two'), stream: true }))
    expect(text).toContain('Hello from xg-two')
    expect(mock.keysUsed().at(-1)).toBe(BACKUP)
  })

  it('a 5xx storm or a throttled group moves on too, and blames no key for the 5xx', async () => {
    for (const key of PRIMARY) mock.onKey(key, { status: 503 })
    const got = await openai().chat.completions.create(ask('xg-three'))
    expect(got.choices[0]!.message.content).toContain('Hello from xg-three')
    expect(mock.keysUsed().at(-1)).toBe(BACKUP)
    // Key states reach the database in batches (every 500 ms): let them land before comparing.
    await new Promise(r => setTimeout(r, 1200))
    // The 401s of the previous case left a run of failures; a 5xx adds nothing to it.
    const before = (await keyRows(s.server, s.groupIds.primary!)).map(r => r.consecutiveFailures)
    expect(before.some(n => n > 0)).toBe(true)
    mock.reset()
    for (const key of PRIMARY) mock.onKey(key, { status: 500 })
    await openai().chat.completions.create(ask('xg-four'))
    await new Promise(r => setTimeout(r, 1200))
    const after = (await keyRows(s.server, s.groupIds.primary!)).map(r => r.consecutiveFailures)
    expect(after).toEqual(before)
    expect((await keyRows(s.server, s.groupIds.primary!)).every(r => r.status === 'active')).toBe(true)
  })

  it('a refusal that is the request\'s own fault does not move on', async () => {
    for (const key of PRIMARY) mock.onKey(key, { status: 400 })
    const err = await openai().chat.completions.create(ask('xg-five')).catch(e => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(mock.keysUsed()).toHaveLength(1)
    expect(mock.keysUsed().includes(BACKUP)).toBe(false)
  })

  it('in an aggregate, a sub-group whose attempts all fail hands over to the next sub-group', async () => {
    for (const key of SUB_A) mock.onKey(key, { status: 401 })
    for (let i = 0; i < 3; i++) {
      const got = await openai().chat.completions.create(ask('xagg-model'))
      expect(got.choices[0]!.message.content).toContain('Hello from xagg-model')
    }
    expect(mock.keysUsed().filter(x => x === SUB_B)).toHaveLength(3)
  })

  it('the Anthropic route fails over across groups the same way (streamed)', async () => {
    mock.onKey(AN_PRIMARY, { status: 529, errorBody: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } })
    const client = new Anthropic({ apiKey: s.proxyKeys[0]!, baseURL: s.server.url, fetch: rec.fetch, maxRetries: 0 })
    const stream = client.messages.stream({ model: 'claude-xg', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
    const msg = await stream.finalMessage()
    expect(msg.content[0]).toMatchObject({ type: 'text' })
    expect(mock.keysUsed().at(-1)).toBe(AN_BACKUP)
    expect(mock.keysUsed().filter(x => x === AN_PRIMARY)).toHaveLength(4)
  })

  it('when no group can serve, the client gets one clean error in its API shape', async () => {
    for (const key of PRIMARY) mock.onKey(key, { status: 500 })
    mock.onKey(BACKUP, { status: 500 })
    const err = await openai().chat.completions.create(ask('xg-six')).catch(e => e)
    expect(err).toBeInstanceOf(OpenAI.InternalServerError)
    // primary's budget (4) then backup's (default max_retries 3 → 4, one key).
    expect(mock.keysUsed()).toHaveLength(8)
  })
})
