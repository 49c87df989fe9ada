import { describe, expect, it } from 'vitest'
import { channelFor } from '../../../server/proxy/channels'
import { ProxyError } from '../../../server/proxy/errors'
import { applyHeaderRules, clientResponseHeaders, upstreamRequestHeaders } from '../../../server/proxy/headers'
import { KeyPool } from '../../../server/proxy/keypool/pool'
import type { GroupRuntime } from '../../../server/proxy/registry'
import { prepareRequest } from '../../../server/proxy/prepare'
import { pickWeighted } from '../../../server/proxy/wrr'
import type { GroupRow } from '../../../shared/types/rows'
import { groupRow } from '../../support/groups'

const runtime = (over: Partial<GroupRow>): GroupRuntime => {
  const row = groupRow(over)
  return {
    row, channel: channelFor(row.channel), upstreams: [], pool: new KeyPool(row.id), subGroups: [],
    servesModel: () => true, servesAnyModel: true, allowsEndpoint: () => true, cache: {} as any,
  }
}
const q = new URLSearchParams()

describe('prepareRequest', () => {
  it('forwards the client bytes untouched when nothing changes', () => {
    const raw = Buffer.from('{ "model":"gpt-4o",  "messages":[] }')
    const p = prepareRequest(runtime({}), channelFor('openai'), '/v1/chat/completions', q, raw, JSON.parse(raw.toString()))
    expect(p.body).toBe(raw)
    expect(p).toMatchObject({ model: 'gpt-4o', upstreamModel: 'gpt-4o', stream: false, injectedUsage: false })
  })

  it('redirects the model and applies overrides without touching the caller\'s parsed body', () => {
    const json = { model: 'alias', messages: [] }
    const g = runtime({ modelRedirects: { alias: 'gpt-4o' }, paramOverrides: { temperature: 0 } })
    const p = prepareRequest(g, g.channel, '/v1/chat/completions', q, Buffer.from(JSON.stringify(json)), json)
    expect(JSON.parse(p.body.toString())).toEqual({ model: 'gpt-4o', messages: [], temperature: 0 })
    expect(json.model).toBe('alias')
    expect(p.upstreamModel).toBe('gpt-4o')
  })

  it('refuses unmapped models under strict redirects', () => {
    const g = runtime({ modelRedirects: { a: 'b' }, modelRedirectStrict: true })
    expect(() => prepareRequest(g, g.channel, '/v1/chat/completions', q, Buffer.from('{}'), { model: 'c' })).toThrow(ProxyError)
  })

  it('asks an OpenAI stream for usage when the client did not, and says so', () => {
    const json = { model: 'm', stream: true, messages: [] }
    const p = prepareRequest(runtime({}), channelFor('openai'), '/v1/chat/completions', q, Buffer.from(JSON.stringify(json)), json)
    expect(JSON.parse(p.body.toString()).stream_options).toEqual({ include_usage: true })
    expect(p.injectedUsage).toBe(true)
    const asked = { ...json, stream_options: { include_usage: true } }
    const raw = Buffer.from(JSON.stringify(asked))
    const p2 = prepareRequest(runtime({}), channelFor('openai'), '/v1/chat/completions', q, raw, asked)
    expect(p2.body).toBe(raw)
    expect(p2.injectedUsage).toBe(false)
  })

  it('redirects a Gemini model in the path, leaving the body alone', () => {
    const g = runtime({ channel: 'gemini', modelRedirects: { 'my-gem': 'gemini-2.0-flash' } })
    const raw = Buffer.from('{"contents":[]}')
    const p = prepareRequest(g, g.channel, '/v1beta/models/my-gem:streamGenerateContent', new URLSearchParams('alt=sse'), raw, { contents: [] })
    expect(p.path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent')
    expect(p.body).toBe(raw)
    expect(p.stream).toBe(true)
  })
})

describe('headers', () => {
  it('drops hop-by-hop headers and the client\'s credentials', () => {
    const h = upstreamRequestHeaders({ 'host': 'x', 'connection': 'keep-alive, x-custom', 'x-custom': '1', 'authorization': 'Bearer pk', 'x-api-key': 'pk', 'x-goog-api-key': 'pk', 'cookie': 'c', 'content-length': '5', 'anthropic-version': '2023-06-01', 'openai-organization': 'org' })
    expect(h).toEqual({ 'anthropic-version': '2023-06-01', 'accept-encoding': 'identity' })
  })

  it("drops the client's account selectors; a group's header rule may still set them", () => {
    const h = upstreamRequestHeaders({ 'openai-organization': 'org-x', 'openai-project': 'proj_x', 'x-goog-user-project': 'p', 'openai-beta': 'assistants=v2' })
    expect(h).toEqual({ 'openai-beta': 'assistants=v2', 'accept-encoding': 'identity' })
    applyHeaderRules(h, [{ name: 'OpenAI-Organization', value: 'org-ours', action: 'set' }], { clientIp: '', groupName: 'g', apiKey: 'k', now: 0 })
    expect(h['openai-organization']).toBe('org-ours')
  })

  it('applies set/remove rules with variables', () => {
    const h: Record<string, string> = { 'user-agent': 'ua' }
    applyHeaderRules(h, [{ name: 'X-A', value: '${CLIENT_IP}|${GROUP_NAME}|${API_KEY}|${TIMESTAMP_MS}|${TIMESTAMP_S}', action: 'set' }, { name: 'User-Agent', value: '', action: 'remove' }], { clientIp: '1.2.3.4', groupName: 'g', apiKey: 'sk-1', now: 1_700_000_000_123 })
    expect(h).toEqual({ 'x-a': '1.2.3.4|g|sk-1|1700000000123|1700000000' })
  })

  it('passes response headers except hop-by-hop ones and cookies', () => {
    expect(clientResponseHeaders({ 'content-type': 'a', 'transfer-encoding': 'chunked', 'connection': 'close', 'set-cookie': ['x'], 'content-length': '3', 'x-request-id': 'r' }, true))
      .toEqual({ 'content-type': 'a', 'content-length': '3', 'x-request-id': 'r' })
  })
})

describe('smooth weighted round robin', () => {
  it('spreads picks by weight, interleaved, and skips weight 0 and unusable items', () => {
    const items = [{ id: 'a', weight: 5, current: 0 }, { id: 'b', weight: 1, current: 0 }, { id: 'c', weight: 1, current: 0 }, { id: 'off', weight: 0, current: 0 }]
    const picks = Array.from({ length: 7 }, () => pickWeighted(items)!.id)
    expect(picks.join('')).toBe('aabacaa')
    expect(Array.from({ length: 4 }, () => pickWeighted(items, i => i.id !== 'a')!.id).sort().join('')).toBe('bbcc')
    expect(pickWeighted(items, () => false)).toBeNull()
  })
})
