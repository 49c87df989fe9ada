import { describe, expect, it } from 'vitest'
import { proxyRouteOf } from '../../../server/proxy/fastPath'

describe('proxyRouteOf: which requests take the proxy fast path', () => {
  it('sends the unified OpenAI and Gemini routes to the engine', () => {
    expect(proxyRouteOf('/v1/chat/completions')).toEqual({ kind: 'unified' })
    expect(proxyRouteOf('/v1/models?x=1')).toEqual({ kind: 'unified' })
    expect(proxyRouteOf('/v1beta/models/gemini-pro:generateContent?key=k')).toEqual({ kind: 'unified' })
  })

  it('sends /proxy/{group}/{path} with its group name', () => {
    expect(proxyRouteOf('/proxy/openai/v1/chat/completions')).toEqual({ kind: 'group', group: 'openai' })
    expect(proxyRouteOf('/proxy/my_group-2/v1/models?key=abc')).toEqual({ kind: 'group', group: 'my_group-2' })
  })

  it('leaves everything else to the generic pipeline', () => {
    for (const url of ['/', '/api/groups', '/health', '/ready', '/metrics', '/v1', '/v1beta', '/v1x/models', '/proxy/', '/proxy//v1', '/proxy/openai', '/proxy/openai?x=/y', '/groups/1'])
      expect(proxyRouteOf(url), url).toBeNull()
  })
})
