import { describe, expect, it } from 'vitest'
import { KeyPool } from '../../../server/proxy/keypool/pool'
import { newPoolKey, type PoolKey } from '../../../server/proxy/keypool/types'
import { affinityHint, seedsOf } from '../../../server/proxy/sticky'

const key = (id: number) =>
  newPoolKey({ id, groupId: 1, secret: `sk-secret-${id}`, masked: `sk…${id}`, status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null })

function poolOf(ids: number[]) {
  const p = new KeyPool(1)
  for (const id of ids) p.add(key(id))
  return p
}
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from)
const conversations = range(1000).map(i => seedsOf(`conversation-${i}`))
const pinnedIds = (p: KeyPool, now = 0) => conversations.map(c => p.pinned(c, now)?.id ?? null)

describe('sticky keys in the key pool', () => {
  it('every instance pins a conversation to the same key, whatever order it loaded the keys in', () => {
    const a = poolOf(range(50))
    const b = poolOf(range(50).reverse())
    expect(pinnedIds(a)).toEqual(pinnedIds(b))
  })

  it('spreads conversations over the keys: 10 keys get 6 to 14 % each of 1,000', () => {
    const counts = new Map<number, number>()
    for (const id of pinnedIds(poolOf(range(10)))) counts.set(id!, (counts.get(id!) ?? 0) + 1)
    expect(counts.size).toBe(10)
    for (const n of counts.values()) { expect(n).toBeGreaterThanOrEqual(60); expect(n).toBeLessThanOrEqual(140) }
  })

  it('a key cooling down moves only its own conversations, and they come back with it', () => {
    const p = poolOf(range(100))
    const before = pinnedIds(p)
    const cooling = new Set(range(10, 1))
    for (const id of cooling) p.transition(p.byId.get(id)!, 'cooling', 5000)
    const during = pinnedIds(p, 1000)
    for (let i = 0; i < conversations.length; i++) {
      if (cooling.has(before[i]!)) expect(cooling.has(during[i]!)).toBe(false)
      else expect(during[i]).toBe(before[i])
    }
    // The keys wake at 5000: every conversation is back on its own key.
    expect(pinnedIds(p, 6000)).toEqual(before)
  })

  it('the fallback is the same everywhere too: two pools with the same cooling keys agree', () => {
    const a = poolOf(range(30)), b = poolOf(range(30).reverse())
    for (const p of [a, b]) for (const id of [3, 7, 11]) p.transition(p.byId.get(id)!, 'invalid')
    expect(pinnedIds(a)).toEqual(pinnedIds(b))
  })

  it('adding a key moves only the conversations that now belong to it; deleting one moves only its own', () => {
    const p = poolOf(range(40))
    const before = pinnedIds(p)
    p.add(key(41))
    const after = pinnedIds(p)
    let moved = 0
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) { moved++; expect(after[i]).toBe(41) }
    expect(moved).toBeGreaterThan(5)
    expect(moved).toBeLessThan(60)
    p.delete(41)
    expect(pinnedIds(p)).toEqual(before)
    p.delete(before[0]!)
    const afterDelete = pinnedIds(p)
    for (let i = 0; i < afterDelete.length; i++) if (before[i] !== before[0]) expect(afterDelete[i]).toBe(before[i])
    expect(afterDelete).not.toContain(before[0])
  })

  it('skips keys the request already tried, and gives up (null) when no key is usable', () => {
    const p = poolOf(range(5))
    const c = conversations[0]!
    const first = p.pinned(c, 0)!
    const second = p.pinned(c, 0, k => k.id === first.id)!
    expect(second.id).not.toBe(first.id)
    for (const k of [...p.byId.values()]) p.transition(k, 'disabled')
    expect(p.pinned(c, 0)).toBeNull()
  })

  it('reads the hint from the header first, then the API\'s own fields; hostile sizes cost a bounded hash', () => {
    expect(affinityHint({ 'x-keygate-affinity': 'h' }, { prompt_cache_key: 'p' })).toBe('h')
    expect(affinityHint({}, { prompt_cache_key: 'p', user: 'u' })).toBe('p')
    expect(affinityHint({}, { metadata: { user_id: 'a' } })).toBe('a')
    expect(affinityHint({}, { cachedContent: 'cachedContents/x' })).toBe('cachedContents/x')
    expect(affinityHint({}, { user: 'u' })).toBe('u')
    expect(affinityHint({}, { user: 42, metadata: 'x', prompt_cache_key: '' })).toBeNull()
    const huge = 'x'.repeat(5_000_000)
    expect(seedsOf(huge)).toEqual(seedsOf(huge.slice(0, 4096)))
    expect(seedsOf('a')).not.toEqual(seedsOf('b'))
  })
})

describe('a large pool', () => {
  it('pins among 200,000 keys and moves a conversation only when its key leaves rotation', () => {
    const p = poolOf(range(200_000))
    const c = conversations.slice(0, 50)
    const before = c.map(s => p.pinned(s, 0)!)
    const k: PoolKey = before[0]!
    p.park(k, 10_000)
    expect(p.pinned(c[0]!, 0)!.id).not.toBe(k.id)
    expect(c.slice(1).map(s => p.pinned(s, 0)!.id)).toEqual(before.slice(1).map(x => x.id))
    expect(p.pinned(c[0]!, 10_000)!.id).toBe(k.id)
  })
})
