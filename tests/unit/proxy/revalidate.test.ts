import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../server/logger'
import { KeyPool } from '../../../server/proxy/keypool/pool'
import type { KeyStateSink } from '../../../server/proxy/keypool/transitions'
import { newPoolKey } from '../../../server/proxy/keypool/types'
import { GroupRegistry } from '../../../server/proxy/registry'
import { revalidateInvalidKeys } from '../../../server/proxy/revalidate'
import { groupRow } from '../../support/groups'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'

let mock: MockUpstream
beforeAll(async () => { mock = await startMockUpstream() })
afterAll(() => mock.close())

describe('background re-validation', () => {
  it('restores invalid keys that pass, leaves the others, and waits for the group interval from when the group was first seen', async () => {
    const reg = new GroupRegistry()
    reg.replaceGroups([groupRow({ upstreams: [{ url: mock.url, weight: 1 }], config: { key_validation_interval_minutes: 5, key_validation_concurrency: 2 } })], [], id => new KeyPool(id))
    const pool = reg.byId.get(1)!.pool
    for (let i = 1; i <= 5; i++) pool.add(newPoolKey({ id: i, groupId: 1, secret: `sk-reval-${i}-0123456789`, masked: '', status: i === 5 ? 'active' : 'invalid', consecutiveFailures: 3, cooldownUntil: null, lastError: 'x' }))
    mock.onKey('sk-reval-2-0123456789', { status: 401 })
    const persisted: number[] = []
    const sink: KeyStateSink = { persist: k => persisted.push(k.id), broadcast: () => {} }
    const lastRun = new Map<number, number>()
    const pass = (at: number) => revalidateInvalidKeys(reg, sink, lastRun, createLogger('silent', 'json'), new AbortController().signal, at)
    // The first sighting only starts the group's clock: nothing is re-tested at once.
    await pass(1_000_000 - 5 * 60_000)
    expect(mock.requests.length).toBe(0)
    await pass(1_000_000 - 60_000)
    expect(mock.requests.length).toBe(0)
    await pass(1_000_000)
    expect(mock.requests.length).toBe(4)
    expect([...pool.byId.values()].map(k => k.status)).toEqual(['active', 'invalid', 'active', 'active', 'active'])
    expect(pool.byId.get(1)!.consecutiveFailures).toBe(0)
    await pass(1_000_000 + 60_000)
    expect(mock.requests.length).toBe(4)
    await pass(1_000_000 + 5 * 60_000)
    expect(mock.requests.length).toBe(5)
  })
})
