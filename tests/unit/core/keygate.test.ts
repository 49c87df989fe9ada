import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDb } from '../../../db/client'
import { parseConfig } from '../../../server/config'
import { createKeygate, createLifecycle, type Keygate } from '../../../server/core'
import { createLogger } from '../../../server/logger'
import type { EngineChange, EngineDeps, ProxyEngine } from '../../../server/proxy/ports'
import { parsePrometheus, sample } from '../../support/prometheus'

const secrets = { authKey: 'test-admin-key-0123456789', encryptionKey: 'test-encryption-key-0123456789' }
const log = createLogger('silent', 'json')

let dir: string
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'keygate-core-')) })
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** An engine that records what it was given and logs one attempt while it shuts down. */
function fakeEngine() {
  const seen: { deps?: EngineDeps; changes: EngineChange[]; closed: boolean } = { changes: [], closed: false }
  const create = async (deps: EngineDeps): Promise<ProxyEngine> => {
    seen.deps = deps
    deps.changes.subscribe((c) => { seen.changes.push(c) })
    return {
      async handle() {},
      async validateKey() { return { ok: true, status: 200, latencyMs: 1, error: null } },
      keyCounts: () => ({ alpha: { active: 2, cooling: 0, invalid: 1, disabled: 0 } }),
      async proxyKeyCounters() { return null },
      explainRoute: () => null,
      async close() {
        seen.closed = true
        deps.requestLog.record({
          time: Date.now(), groupId: null, groupName: 'alpha', parentGroupId: null, keyId: null, keyMasked: '', proxyKeyId: null, model: 'm', upstreamModel: 'm',
          path: '/v1/chat/completions', upstream: '', status: 499, success: false, type: 'final', stream: false, durationMs: 1, ttftMs: null,
          promptTokens: 0, completionTokens: 0, cachedTokens: 0, error: 'client went away', ip: '', userAgent: '', requestBody: null, responseBody: null,
          requestId: 'r1', cost: 0, clientApi: 'openai', channelApi: 'openai',
        })
      },
    }
  }
  return { seen, create }
}

describe('createKeygate', () => {
  it('builds every part, hands the engine its ports, marks the lifecycle ready, and closes the engine before the request log', async () => {
    const config = parseConfig({ DATA_DIR: dir })
    const lifecycle = createLifecycle<Keygate>()
    const engine = fakeEngine()
    const keygate = await createKeygate(config, secrets, log, { lifecycle, createEngine: engine.create })

    expect(lifecycle.ready).toBe(true)
    expect(await lifecycle.whenReady).toBe(keygate)
    const deps = engine.seen.deps!
    expect(deps.options).toMatchObject({ instanceId: keygate.instanceId, maxConcurrentRequests: 1000, trustProxy: false })
    expect(await deps.data.loadGroups()).toEqual({ groups: [], subGroups: [] })
    expect(deps.settings.current()).toBe(keygate.settings.current())
    expect(deps.secrets.decrypt(keygate.cipher.encrypt('sk-secret'))).toBe('sk-secret')

    // A change made through the API reaches the engine through the feed.
    await keygate.groups.create({
      name: 'alpha', displayName: '', description: '', type: 'standard', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }],
      testModel: 'm', validationPath: '', models: [], priority: 0, modelRedirects: {}, modelRedirectStrict: false, paramOverrides: {}, headerRules: [], allowedPaths: [],
      acceptsConversions: false, priceMultiplier: 1, config: {}, subGroups: [], enabled: true, sort: 0,
    })
    await new Promise(r => setTimeout(r, 20))
    expect(engine.seen.changes).toContainEqual({ type: 'groups' })

    // The keys-by-state gauge reads the engine's pools.
    const { samples } = parsePrometheus((await keygate.metrics.render()).body)
    expect(sample(samples, 'keygate_keys', { group: 'alpha', state: 'invalid' })).toBe(1)

    await keygate.close()
    expect(engine.seen.closed).toBe(true)
    // What the engine logged while winding down was written before the database closed.
    const db = await openDb(config.database)
    if (db.dialect !== 'sqlite') throw new Error('expected SQLite')
    expect(db.raw.prepare('SELECT status, error FROM request_logs').all()).toEqual([{ status: 499, error: 'client went away' }])
    await db.close()
  })

  it('rejects the lifecycle when a part fails to build', async () => {
    const lifecycle = createLifecycle<Keygate>()
    const failing = async (): Promise<ProxyEngine> => { throw new Error('engine refused to start') }
    await expect(createKeygate(parseConfig({ DATA_DIR: dir }), secrets, log, { lifecycle, createEngine: failing })).rejects.toThrow('engine refused to start')
    expect(lifecycle.ready).toBe(false)
    await expect(lifecycle.whenReady).rejects.toThrow('engine refused to start')
  })
})
