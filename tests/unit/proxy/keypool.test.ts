import { describe, expect, it } from 'vitest'
import { KeyPool } from '../../../server/proxy/keypool/pool'
import { syncPool } from '../../../server/proxy/keypool/sync'
import { recordFailure, recordSuccess, recordValidation, type KeyStateSink } from '../../../server/proxy/keypool/transitions'
import { newPoolKey, type PoolKey } from '../../../server/proxy/keypool/types'
import type { PoolKeyRow } from '../../../server/proxy/ports'

const key = (id: number, status: PoolKey['status'] = 'active', cooldownUntil: number | null = null) =>
  newPoolKey({ id, groupId: 1, secret: `sk-secret-${id}`, masked: `sk…${id}`, status, consecutiveFailures: 0, cooldownUntil, lastError: null })

function poolOf(n: number) {
  const p = new KeyPool(1)
  for (let i = 1; i <= n; i++) p.add(key(i))
  return p
}

const sink = () => {
  const persisted: number[] = [], broadcast: number[] = []
  const s: KeyStateSink = { persist: k => persisted.push(k.id), broadcast: k => broadcast.push(k.id) }
  return { s, persisted, broadcast }
}

describe('KeyPool', () => {
  it('rotates evenly: 3 keys over 30 picks are used 10 times each', () => {
    const p = poolOf(3)
    const uses = new Map<number, number>()
    for (let i = 0; i < 30; i++) { const k = p.next(0)!; uses.set(k.id, (uses.get(k.id) ?? 0) + 1) }
    expect([...uses.values()]).toEqual([10, 10, 10])
  })

  it('never hands out cooling, invalid or disabled keys', () => {
    const p = new KeyPool(1)
    p.add(key(1, 'invalid')); p.add(key(2, 'disabled')); p.add(key(3, 'cooling', Date.now() + 60_000)); p.add(key(4))
    for (let i = 0; i < 10; i++) expect(p.next(Date.now())!.id).toBe(4)
    expect(p.counts).toEqual({ active: 1, cooling: 1, invalid: 1, disabled: 1 })
  })

  it('brings a cooling key back when its time comes', () => {
    const p = new KeyPool(1)
    const woke: number[] = []
    const q = new KeyPool(1, k => woke.push(k.id))
    q.add(key(1, 'cooling', 1000))
    expect(q.next(999)).toBeNull()
    expect(q.nextWake()).toBe(1000)
    expect(q.next(1000)!.id).toBe(1)
    expect(q.byId.get(1)!.status).toBe('active')
    expect(woke).toEqual([1])
    void p
  })

  it('parks a key over its rpm without changing its state', () => {
    const p = poolOf(2)
    const k = p.byId.get(1)!
    p.park(k, 5000)
    for (let i = 0; i < 4; i++) expect(p.next(100)!.id).toBe(2)
    expect(k.status).toBe('active')
    const seen = new Set([p.next(5000)!.id, p.next(5000)!.id])
    expect(seen).toEqual(new Set([1, 2]))
  })

  it('returns null when nothing is usable', () => {
    const p = new KeyPool(1)
    expect(p.next(0)).toBeNull()
    p.add(key(1, 'invalid'))
    expect(p.next(0)).toBeNull()
    expect(p.hasUsable(0)).toBe(false)
  })

  it('selects from 1,000,000 keys as fast as from 10 (O(1), no scans)', () => {
    const time = (p: KeyPool) => {
      for (let i = 0; i < 20_000; i++) p.next(1)
      const t = process.hrtime.bigint()
      for (let i = 0; i < 200_000; i++) p.next(1)
      return Number(process.hrtime.bigint() - t) / 200_000
    }
    const small = poolOf(10)
    const big = poolOf(1_000_000)
    // Half the big pool waits in the heap: selection must still not depend on it.
    let n = 0
    for (const k of big.byId.values()) { if (n++ % 2) big.transition(k, 'cooling', Date.now() + 3_600_000) }
    const tSmall = time(small), tBig = time(big)
    expect(tBig).toBeLessThan(Math.max(tSmall * 5, 200))
  }, 60_000)
})

describe('key state transitions', () => {
  it('bans after blacklist_threshold consecutive blaming failures, and a success resets the run', () => {
    const p = poolOf(1)
    const k = p.byId.get(1)!
    const { s, broadcast } = sink()
    recordFailure(p, k, { kind: 'blame' }, 3, 'HTTP 401', s)
    recordFailure(p, k, { kind: 'blame' }, 3, 'HTTP 401', s)
    recordSuccess(p, k, s)
    expect(k.consecutiveFailures).toBe(0)
    for (let i = 0; i < 2; i++) recordFailure(p, k, { kind: 'blame' }, 3, 'HTTP 401', s)
    expect(k.status).toBe('active')
    recordFailure(p, k, { kind: 'blame' }, 3, 'HTTP 401', s)
    expect(k.status).toBe('invalid')
    expect(p.next(0)).toBeNull()
    expect(broadcast).toEqual([1])
  })

  it('bans at once for a ban status and cools for a cooldown verdict; 5xx-style verdicts change nothing', () => {
    const p = poolOf(3)
    const { s } = sink()
    recordFailure(p, p.byId.get(1)!, { kind: 'ban' }, 3, 'HTTP 402', s)
    recordFailure(p, p.byId.get(2)!, { kind: 'cooldown', until: 10_000 }, 3, 'HTTP 429', s)
    recordFailure(p, p.byId.get(3)!, { kind: 'none' }, 3, 'HTTP 500', s)
    expect(p.byId.get(1)!.status).toBe('invalid')
    expect(p.byId.get(2)!.status).toBe('cooling')
    expect(p.byId.get(2)!.cooldownUntil).toBe(10_000)
    expect(p.byId.get(3)!.status).toBe('active')
    expect(p.byId.get(3)!.consecutiveFailures).toBe(0)
  })

  it('a passing validation restores an invalid key to the rotation', () => {
    const p = new KeyPool(1)
    p.add(key(1, 'invalid'))
    const { s } = sink()
    recordValidation(p, p.byId.get(1)!, true, null, s)
    expect(p.next(0)!.id).toBe(1)
  })
})

describe('syncPool (reload from the database)', () => {
  const row = (id: number, status: PoolKeyRow['status'], cooldownUntil: number | null = null): PoolKeyRow =>
    ({ id, groupId: 1, keyCiphertext: `c${id}`, status, consecutiveFailures: 0, cooldownUntil, lastError: null })
  const decrypt = (c: string) => `sk-secret-${c}`

  it('adds new keys, drops deleted ones, and keeps an unwritten cooldown', () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1, 'active'), row(2, 'active')], decrypt, () => {})
    p.transition(p.byId.get(1)!, 'cooling', Date.now() + 60_000)
    syncPool(p, [row(1, 'active'), row(3, 'active')], decrypt, () => {})
    expect(p.byId.get(1)!.status).toBe('cooling')
    expect(p.byId.has(2)).toBe(false)
    expect(p.byId.get(3)!.secret).toBe('sk-secret-c3')
  })

  it("lets an admin's change win: a disabled key is not resurrected", () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1, 'active')], decrypt, () => {})
    p.transition(p.byId.get(1)!, 'cooling', Date.now() + 60_000)
    syncPool(p, [row(1, 'disabled')], decrypt, () => {})
    expect(p.byId.get(1)!.status).toBe('disabled')
    expect(p.next(Date.now() + 120_000)).toBeNull()
    syncPool(p, [row(1, 'active')], decrypt, () => {})
    expect(p.next(0)!.id).toBe(1)
  })

  it('treats a cooldown that ran out while stored as active', () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1, 'cooling', Date.now() - 1)], decrypt, () => {})
    expect(p.next(Date.now())!.id).toBe(1)
  })
})
