import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOn, type BackendServer } from '../../support/backends'

describe('management API error bodies', () => {
  let s: BackendServer
  beforeAll(async () => { s = await startOn('sqlite', 'errors') })
  afterAll(async () => { await s?.stop() })

  it('answers an unexpected failure with a bare 500 and logs the cause instead of leaking it', async () => {
    await s.direct.exec('DROP TABLE proxy_keys')
    const r = await s.server.api('GET', '/api/proxy-keys')
    expect(r.status).toBe(500)
    expect(r.body).toEqual({ statusCode: 500, message: 'Internal error', data: { code: 'INTERNAL' } })
    expect(r.headers.get('content-type')).toMatch(/^application\/json/)
    await new Promise(res => setTimeout(res, 100))
    const logged = s.server.output().split('\n').find(l => l.includes('management API request failed'))
    expect(logged).toContain('no such table: proxy_keys')
  })

  it('keeps 4xx bodies to statusCode, message and data', async () => {
    for (const [method, path, body] of [['GET', '/api/groups/12345', undefined], ['POST', '/api/groups', { name: '' }], ['GET', '/api/nothing-here', undefined]] as const) {
      const r = await s.server.api(method, path, body)
      expect(Object.keys(r.body).sort(), path).toEqual(['data', 'message', 'statusCode'])
      expect(r.body.statusCode).toBe(r.status)
    }
  })
})
