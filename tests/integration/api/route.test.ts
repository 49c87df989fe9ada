import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RouteExplanationSchema } from '../../../shared/schemas/route'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'

/** GET /api/route: which groups a request would go to, and why not the others; the proxy agrees. */
const LOW_KEY = 'sk-route-low-key-0000000000-abcd'
let mock: MockUpstream
let s: Seeded
let id: Record<string, number>
let limitedId = 0

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = () => [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'low', channel: 'openai', upstreams: up(), models: ['gpt-4o'], priority: 0, keys: [LOW_KEY] },
    { name: 'high', channel: 'openai', upstreams: up(), models: ['gpt-4o', 'gpt-4o-mini'], priority: 5, keys: ['sk-route-high-1-abcdefghijk', 'sk-route-high-2-abcdefghijk'] },
    { name: 'claude', channel: 'anthropic', upstreams: up(), models: ['claude-*'], keys: ['sk-ant-route-0000-abcdefghijk'] },
  ], [{ name: 'all' }, { name: 'limited', groups: ['high'], models: ['gpt-4o'] }])
  id = s.groupIds
  const off = await s.server.api('POST', '/api/groups', { name: 'off', channel: 'openai', upstreams: up(), models: ['gpt-4o'], priority: 1, enabled: false })
  expect(off.status).toBe(201)
  id.off = off.body.id
  limitedId = (await s.server.api('GET', '/api/proxy-keys')).body.items.find((k: any) => k.name === 'limited').id
  await new Promise(r => setTimeout(r, 300))
})
afterAll(async () => {
  await s?.server.stop()
  await mock?.close()
})

const route = async (q: string) => {
  const r = await s.server.api('GET', `/api/route?${q}`)
  if (r.status === 200) RouteExplanationSchema.parse(r.body)
  return r
}
const reasons = (body: any) => Object.fromEntries(body.candidates.map((c: any) => [c.groupName, c.reason]))

describe('GET /api/route', () => {
  it('lists the groups speaking the API in priority order, with usable keys, and picks the first that would serve', async () => {
    const r = await route('api=openai&model=gpt-4o')
    expect(r.status).toBe(200)
    expect(r.body.candidates.map((c: any) => c.groupName)).toEqual(['low', 'off', 'high'])
    expect(reasons(r.body)).toEqual({ low: null, off: 'disabled', high: null })
    expect(r.body.candidates[0]).toMatchObject({ groupId: id.low, channel: 'openai', priority: 0, usableKeys: 1, totalKeys: 1 })
    expect(r.body).toMatchObject({ api: 'openai', model: 'gpt-4o', proxyKey: null, chosen: id.low, reason: null })
    expect(reasons((await route('api=openai&model=gpt-4o-mini')).body)).toEqual({ low: 'model_not_served', off: 'disabled', high: null })
    expect((await route('api=anthropic&model=claude-3-5-haiku-latest')).body).toMatchObject({ chosen: id.claude, candidates: [{ groupName: 'claude' }] })
  })

  it('follows the keys: a group whose keys all cool down hands over, as the proxy does', async () => {
    mock.onKey(LOW_KEY, { status: 429, headers: { 'retry-after': '60' } })
    const client = new OpenAI({ apiKey: s.proxyKeys[0]!, baseURL: `${s.server.url}/v1`, maxRetries: 0 })
    await client.chat.completions.create({ model: 'gpt-4o', messages: [] })
    const r = await route('api=openai&model=gpt-4o')
    expect(r.body.candidates[0]).toMatchObject({ groupName: 'low', usableKeys: 0, totalKeys: 1, reason: 'no_usable_key' })
    expect(r.body.chosen).toBe(id.high)
    const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [] }, { headers: { 'x-keygate-explain': '1' } }).withResponse()
    expect(response.headers.get('x-keygate-group')).toBe('high')
  })

  it('applies the proxy key\'s groups and models', async () => {
    const r = await route(`api=openai&model=gpt-4o&proxyKey=${limitedId}`)
    expect(r.body.proxyKey).toEqual({ id: limitedId, name: 'limited' })
    expect(reasons(r.body)).toEqual({ low: 'group_not_allowed', off: 'disabled', high: null })
    expect((await route(`api=openai&model=gpt-4o-mini&proxyKey=${limitedId}`)).body).toMatchObject({ chosen: null, reason: 'model_not_allowed' })
    expect((await route(`api=anthropic&model=claude-x&proxyKey=${limitedId}`)).body).toMatchObject({ chosen: null, reason: 'model_not_allowed' })
  })

  it('says why nothing would serve', async () => {
    expect((await route('api=openai&model=gpt-9')).body).toMatchObject({ chosen: null, reason: 'model_not_found' })
    expect((await route('api=openai')).body).toMatchObject({ chosen: null, reason: 'model_required' })
    expect((await route('api=gemini&model=gemini-2.0-flash')).body).toMatchObject({ candidates: [], chosen: null, reason: 'model_not_found' })
  })

  it('takes a proxy key id, never a secret (refused without echoing it), and is admin-only', async () => {
    const secret = s.proxyKeys[0]!
    const r = await route(`api=openai&model=gpt-4o&proxyKey=${encodeURIComponent(secret)}`)
    expect(r.status).toBe(400)
    expect(r.body.data.code).toBe('VALIDATION')
    expect(JSON.stringify(r.body)).not.toContain(secret)
    expect((await route('proxyKey=987654')).status).toBe(404)
    expect((await route('api=mistral')).status).toBe(400)
    expect((await fetch(`${s.server.url}/api/route?api=openai`)).status).toBe(401)
    expect((await fetch(`${s.server.url}/api/route?api=openai`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401)
  })
})
