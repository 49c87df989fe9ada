import type { PoolKey } from './types'

/**
 * Which key a conversation sticks to: consistent hashing in two levels. Keys fall into a fixed
 * number of buckets by their id. A conversation visits buckets in its own pseudo-random order
 * (from its seed) and takes, in the first bucket holding a usable key, the usable key with the
 * highest rendezvous score. The choice depends only on the conversation's seeds and the set of key
 * ids, never on key states or on the instance, so every instance picks the same key; a key cooling
 * down moves only the conversations on it (each to the next bucket in its own order, which spreads
 * them over the pool) and they come back once it is usable again. Adding a key moves only the
 * conversations that now reach it first. A pick hashes the keys of one bucket in a big pool (pool
 * size / BUCKETS: about a thousand for a million keys) and skips about BUCKETS / pool size empty
 * buckets in a small one; only requests with a hint pay it, rotation stays O(1).
 */
const BUCKETS = 1024
/** Buckets with keys looked at before giving up on stickiness (the caller then rotates as usual). */
const MAX_BUCKET_PROBES = 32
/** Steps of the visiting order, empty buckets included (a tiny pool is mostly empty buckets). */
const MAX_STEPS = 16 * BUCKETS

/** murmur3's 32-bit finaliser: every input bit moves every output bit. */
export function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const bucketOf = (keyId: number) => mix(keyId ^ 0x5bd1e995) % BUCKETS

export type AffinitySeeds = { bucket: number; key: number }

export class AffinityIndex {
  /** Each key knows its index in its bucket (`affinitySlot`), so removal is a swap. */
  private readonly buckets: PoolKey[][] = Array.from({ length: BUCKETS }, () => [])

  constructor(keys: Iterable<PoolKey>) { for (const k of keys) this.add(k) }

  add(k: PoolKey) {
    if (k.affinitySlot >= 0) return
    const b = this.buckets[bucketOf(k.id)]!
    k.affinitySlot = b.length
    b.push(k)
  }

  delete(k: PoolKey) {
    const i = k.affinitySlot
    if (i < 0) return
    const b = this.buckets[bucketOf(k.id)]!
    const last = b.pop()!
    k.affinitySlot = -1
    if (last !== k) { b[i] = last; last.affinitySlot = i }
  }

  /** The conversation's key: the first in its order that `usable` accepts, or null after MAX_BUCKET_PROBES buckets. */
  pick(seeds: AffinitySeeds, usable: (k: PoolKey) => boolean): PoolKey | null {
    let probes = 0
    for (let step = 0; step < MAX_STEPS && probes < MAX_BUCKET_PROBES; step++) {
      const keys = this.buckets[mix(seeds.bucket + Math.imul(step, 0x9e3779b9)) % BUCKETS]!
      if (keys.length === 0) continue
      probes++
      let chosen: PoolKey | null = null
      let top = -1
      for (const k of keys) {
        const s = mix(seeds.key ^ mix(k.id))
        if ((s > top || (s === top && chosen && k.id < chosen.id)) && usable(k)) { top = s; chosen = k }
      }
      if (chosen) return chosen
    }
    return null
  }
}
