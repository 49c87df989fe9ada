import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded } from '../../support/proxySeed'
import { startServer } from '../../support/server'

/** Key states decided just before SIGTERM are written before the process exits. */
const BAD = 'sk-shutdown-upstream-key-bad-0001'
const GOOD = 'sk-shutdown-upstream-key-good-0002'
let mock: MockUpstream
const dataDir = mkdtempSync(join(tmpdir(), 'keygate-proxy-shutdown-'))

beforeAll(async () => { mock = await startMockUpstream() })
afterAll(async () => { await mock?.close(); rmSync(dataDir, { recursive: true, force: true }) })

it('a ban decided right before SIGTERM survives the restart', async () => {
  const s = await startSeeded([{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [BAD, GOOD], config: { blacklist_threshold: 1 } }], [{}], { dataDir })
  mock.onKey(BAD, { status: 401 })
  const r = await fetch(`${s.server.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}' })
  expect(r.status).toBe(200)
  expect(mock.keysUsed()).toEqual([BAD, GOOD])
  // Stop at once: the write-back batch (every 500 ms) has not run yet; shutdown must flush it.
  expect(await s.server.stop()).toBe(0)
  const again = await startServer({ dataDir })
  try {
    const rows = await keyRows(again, s.groupIds.g!)
    expect(rows.find((k: any) => k.masked === maskSecret(BAD))).toMatchObject({ status: 'invalid', consecutiveFailures: 1 })
    expect(rows.find((k: any) => k.masked === maskSecret(GOOD))).toMatchObject({ status: 'active' })
    mock.reset()
    const r2 = await fetch(`${again.url}/proxy/g/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}' })
    expect(r2.status).toBe(200)
    expect(mock.keysUsed()).toEqual([GOOD])
  } finally { await again.stop() }
})

it('SIGTERM lets a stream in flight finish before the process exits', async () => {
  const s = await startSeeded([{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [GOOD] }])
  mock.reset()
  mock.onKey(GOOD, { chunks: 15, intervalMs: 100 })
  const res = await fetch(`${s.server.url}/proxy/g/v1/chat/completions`, {
    method: 'POST', headers: { 'authorization': `Bearer ${s.proxyKeys[0]}`, 'content-type': 'application/json' },
    body: '{"model":"gpt-4o-mini","stream":true,"messages":[]}',
  })
  expect(res.status).toBe(200)
  const body = res.text()
  await mock.waitFor(() => (mock.requests[0]?.chunkTimes.length ?? 0) >= 2)
  const exited = s.server.stop()
  const text = await body
  expect(text.match(/"content"/g)?.length).toBe(15)
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true)
  expect(await exited).toBe(0)
})
