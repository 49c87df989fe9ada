import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../../shared/settings'
import { isPaced, pickPacedKey, releasePacedKey } from '../../../../server/proxy/keypool/pacing'
import { KeyPool } from '../../../../server/proxy/keypool/pool'
import { newPoolKey } from '../../../../server/proxy/keypool/types'
import { WaitQueue } from '../../../../server/proxy/keypool/waitQueue'
import { PeriodClock } from '../../../../server/proxy/limits/periods'
import { createMemoryStore } from '../../../../server/store/memory'

const key = (id: number) => newPoolKey({ id, groupId: 1, secret: `s${id}`, masked: `m${id}`, status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null })
const poolOf = (n: number) => { const p = new KeyPool(1); for (let i = 1; i <= n; i++) p.add(key(i)); return p }

describe('the pool with parked and held keys', () => {
  it('picks the one usable key among 10,000 parked ones without walking them', () => {
    const pool = poolOf(10_001)
    const now = Date.now()
    for (let i = 1; i <= 10_000; i++) pool.park(pool.byId.get(i)!, now + 60_000)
    expect(pool.usableCount).toBe(1)
    expect(pool.parkedCount).toBe(10_000)
    for (let i = 0; i < 5; i++) expect(pool.next(now)!.id).toBe(10_001)
    // Windows end: every parked key is back.
    expect(pool.hasUsable(now + 60_000)).toBe(true)
    expect(pool.usableCount).toBe(10_001)
    expect(pool.parkedCount).toBe(0)
  })

  it('holds a key out of the ring until unheld, unless a cooldown keeps it out', () => {
    const pool = poolOf(2)
    const [a, b] = [pool.byId.get(1)!, pool.byId.get(2)!]
    pool.hold(a)
    expect(pool.next(Date.now())).toBe(b)
    expect(pool.next(Date.now())).toBe(b)
    pool.unhold(a)
    expect(pool.usableCount).toBe(2)
    pool.hold(b)
    pool.transition(b, 'cooling', Date.now() + 60_000)
    pool.unhold(b)
    expect(pool.usableCount).toBe(1)
    expect(pool.heldCount).toBe(0)
  })
})

describe('pacing picks', () => {
  const deps = () => ({ store: createMemoryStore(), clock: new PeriodClock() })
  const settings = (o: Partial<typeof DEFAULT_SETTINGS>) => ({ ...DEFAULT_SETTINGS, ...o })

  it('is off unless a pacing setting is set', () => {
    expect(isPaced(DEFAULT_SETTINGS)).toBe(false)
    expect(isPaced(settings({ key_daily_requests: 1 }))).toBe(true)
  })

  it('parks a key at key_rpm and answers null when all are parked and there is no queue', async () => {
    const d = deps()
    const pool = poolOf(2)
    const s = settings({ key_rpm: 1 })
    const got = []
    for (let i = 0; i < 3; i++) got.push(await pickPacedKey(d, pool, s, 10, () => false))
    expect(got.map(k => k?.id ?? null).sort()).toEqual([1, 2, null].sort())
    expect(pool.parkedCount).toBe(2)
    expect(pool.nextWake()).toBe((Math.floor(Date.now() / 60_000) + 1) * 60_000)
    await d.store.close()
  })

  it('serves waiters first come first served as keys are released', async () => {
    const d = deps()
    const pool = poolOf(1)
    const s = settings({ key_concurrency: 1, queue_timeout_ms: 5000 })
    const first = (await pickPacedKey(d, pool, s, 1, () => false))!
    const order: number[] = []
    const waiting = [1, 2, 3].map(i => pickPacedKey(d, pool, s, 1, () => false).then((k) => { order.push(i); return k }))
    await new Promise(r => setTimeout(r, 20))
    expect(order).toEqual([])
    releasePacedKey(d, pool, first, s, 0)
    const k1 = (await waiting[0])!
    releasePacedKey(d, pool, k1, s, 0)
    const k2 = (await waiting[1])!
    releasePacedKey(d, pool, k2, s, 0)
    await waiting[2]
    expect(order).toEqual([1, 2, 3])
    await d.store.close()
  })

  it('gives up at queue_timeout_ms', async () => {
    const d = deps()
    const pool = poolOf(1)
    const s = settings({ key_concurrency: 1, queue_timeout_ms: 50 })
    expect(await pickPacedKey(d, pool, s, 1, () => false)).not.toBeNull()
    expect(await pickPacedKey(d, pool, s, 1, () => false)).toBeNull()
    await d.store.close()
  })
})

it('the wait queue puts a waiter that lost its turn back at the front', async () => {
  const q = new WaitQueue()
  const order: string[] = []
  void q.wait(1000).then(() => order.push('a'))
  void q.wait(1000).then(() => order.push('b'))
  void q.wait(1000, true).then(() => order.push('front'))
  expect(q.size).toBe(3)
  q.wakeOne(); q.wakeOne(); q.wakeOne()
  await new Promise(r => setTimeout(r, 0))
  expect(order).toEqual(['front', 'a', 'b'])
  expect(q.size).toBe(0)
})
