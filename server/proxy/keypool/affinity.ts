import type { PoolKey } from './types'

/**
 * Which key a conversation sticks to: rendezvous (highest random weight) hashing in two levels.
 * Keys fall into a fixed number of buckets by their id; a conversation picks the bucket with the
 * highest weighted score (weight = keys in it), then the key with the highest score in that
 * bucket. The choice depends only on the conversation's seeds and the set of key ids, never on
 * key states or on the instance, so every instance picks the same key, and a key cooling down or
 * coming back moves only the conversations pinned to it. When the chosen key is not usable the
 * conversation takes the next one in the same order (the same on every instance), and returns once
 * it is usable again. Adding a key moves only the conversations that now score highest on it.
 * A pick scores the buckets (fixed cost) and the keys of the few buckets it looks at (pool size /
 * BUCKETS each), so it costs about the same for ten keys or a million.
 */
const BUCKETS = 1024
/** Buckets looked at before giving up on stickiness (the caller then rotates as usual). */
const MAX_BUCKET_PROBES = 32

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
  private readonly scores = new Float64Array(BUCKETS)

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
    const scores = this.scores
    let nonEmpty = 0
    for (let b = 0; b < BUCKETS; b++) {
      const n = this.buckets[b]!.length
      if (n === 0) { scores[b] = -1; continue }
      nonEmpty++
      // Weighted rendezvous: w / -ln(u) with u uniform in (0, 1) gives each bucket a share of
      // conversations proportional to its size.
      const u = (mix(seeds.bucket ^ Math.imul(b + 1, 0x9e3779b1)) + 0.5) / 4294967296
      scores[b] = n / -Math.log(u)
    }
    for (let probe = 0; probe < Math.min(nonEmpty, MAX_BUCKET_PROBES); probe++) {
      let best = -1
      for (let b = 0; b < BUCKETS; b++) if (scores[b]! >= 0 && (best < 0 || scores[b]! > scores[best]!)) best = b
      if (best < 0) return null
      scores[best] = -1
      let chosen: PoolKey | null = null
      let top = -1
      for (const k of this.buckets[best]!) {
        const s = mix(seeds.key ^ mix(k.id))
        if ((s > top || (s === top && chosen && k.id < chosen.id)) && usable(k)) { top = s; chosen = k }
      }
      if (chosen) return chosen
    }
    return null
  }
}
