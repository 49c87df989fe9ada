import { describe, expect, it } from 'vitest'
import { channelFor } from '../../../server/proxy/channels'
import { unsafePathProblem } from '../../../server/proxy/endpoints'
import { compileEndpoints, endpointPatternProblem } from '../../../shared/endpoints'
import { GroupCreateSchema } from '../../../shared/schemas/groups'

describe('endpoint patterns', () => {
  it('match one segment with *, the rest with a last **, and HEAD as GET', () => {
    const m = compileEndpoints(['POST /v1/files', 'GET /v1/files/*', 'DELETE /v1/batches/**', 'POST /v1beta/models/*:generateContent', '* /v1/x'])
    expect(m('POST', '/v1/files')).toBe(true)
    expect(m('GET', '/v1/files')).toBe(false)
    expect(m('GET', '/v1/files/file-1')).toBe(true)
    expect(m('HEAD', '/v1/files/file-1')).toBe(true)
    expect(m('GET', '/v1/files/file-1/content')).toBe(false)
    expect(m('DELETE', '/v1/batches/b/c')).toBe(true)
    expect(m('DELETE', '/v1/batches')).toBe(false)
    expect(m('POST', '/v1beta/models/gemini-2.0-flash:generateContent')).toBe(true)
    expect(m('POST', '/v1beta/models/gemini-2.0-flash:streamGenerateContent')).toBe(false)
    expect(m('PATCH', '/v1/x')).toBe(true)
  })

  it('refuses malformed patterns in the group schema', () => {
    for (const bad of ['/v1/files', 'post /v1/files', 'POST v1/files', 'POST /v1/../files', 'POST /v1//files', 'POST /v1/**/files', 'POST /v1/%2e', 'GET /a b'])
      expect(endpointPatternProblem(bad), bad).not.toBeNull()
    const base = { name: 'g', channel: 'openai', upstreams: [{ url: 'https://api.openai.com', weight: 1 }] } as const
    expect(GroupCreateSchema.safeParse({ ...base, allowedPaths: ['POST /v1/files', 'GET /v1/files/**'] }).success).toBe(true)
    const r = GroupCreateSchema.safeParse({ ...base, allowedPaths: ['POST /v1/../admin'] })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.path).toEqual(['allowedPaths', 0])
  })

  it('every channel lists its inference endpoints only', () => {
    const openai = compileEndpoints(channelFor('openai').endpoints)
    expect(openai('POST', '/v1/chat/completions')).toBe(true)
    expect(openai('GET', '/v1/responses/resp_1/input_items')).toBe(true)
    for (const [method, path] of [['POST', '/v1/files'], ['POST', '/v1/batches'], ['POST', '/v1/fine_tuning/jobs'], ['GET', '/v1/organization/users'], ['DELETE', '/v1/models/ft:x'], ['GET', '/v1/chat/completions']] as const)
      expect(openai(method, path), `${method} ${path}`).toBe(false)
    const anthropic = compileEndpoints(channelFor('anthropic').endpoints)
    expect(anthropic('POST', '/v1/messages/count_tokens')).toBe(true)
    expect(anthropic('POST', '/v1/messages/batches')).toBe(false)
    const gemini = compileEndpoints(channelFor('gemini').endpoints)
    expect(gemini('POST', '/v1beta/models/gemini-2.0-flash:streamGenerateContent')).toBe(true)
    expect(gemini('POST', '/v1beta/openai/chat/completions')).toBe(true)
    expect(gemini('POST', '/v1beta/files')).toBe(false)
    expect(gemini('POST', '/v1beta/cachedContents')).toBe(false)
  })
})

describe('unsafePathProblem', () => {
  it('refuses dot segments, also percent-encoded, and encoded slashes', () => {
    for (const p of ['/v1/../admin', '/v1/./chat/completions', '/v1/%2e%2e/files', '/v1/%2E./files', '/v1/files%2fx', '/v1/a%5Cb', '/v1/a\\b', '/v1/%zz'])
      expect(unsafePathProblem(p), p).not.toBeNull()
    for (const p of ['/v1/chat/completions', '/v1beta/models/gemini-2.0-flash:generateContent', '/v1/models/ft%3Agpt', '/v1/a..b'])
      expect(unsafePathProblem(p), p).toBeNull()
  })
})
