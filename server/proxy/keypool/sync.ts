import { maskSecret } from '../../services/keyCipher'
import type { PoolKeyRow } from '../../services/poolLoader'
import type { KeyPool } from './pool'
import { newPoolKey } from './types'

/**
 * Brings a pool in line with the database after a reload. New rows come in, deleted ones go.
 * For a key we already hold, a status the database changed since we last knew it (an admin
 * disabling or restoring it, or another instance's write) wins; otherwise our in-memory state
 * stands, so a cooldown or a run of failures not yet written back is not lost.
 */
export function syncPool(pool: KeyPool, rows: PoolKeyRow[], decrypt: (ciphertext: string) => string, onUndecryptable: (id: number) => void, now = Date.now()) {
  const seen = new Set<number>()
  for (const r of rows) {
    seen.add(r.id)
    const k = pool.byId.get(r.id)
    if (!k) {
      let secret: string
      try { secret = decrypt(r.keyCiphertext) } catch { onUndecryptable(r.id); continue }
      let status = r.status
      // A cooldown that ran out while nobody held the key in memory.
      if (status === 'cooling' && (r.cooldownUntil ?? 0) <= now) status = 'active'
      pool.add(newPoolKey({ id: r.id, groupId: r.groupId, secret, masked: maskSecret(secret), status, consecutiveFailures: r.consecutiveFailures, cooldownUntil: r.cooldownUntil, lastError: r.lastError }))
      if (status !== r.status) pool.byId.get(r.id)!.dbStatus = r.status
      continue
    }
    if (r.status !== k.dbStatus) {
      k.dbStatus = r.status
      k.consecutiveFailures = r.consecutiveFailures
      k.lastError = r.lastError
      const status = r.status === 'cooling' && (r.cooldownUntil ?? 0) <= now ? 'active' : r.status
      pool.transition(k, status, r.cooldownUntil ?? 0)
    }
  }
  if (seen.size !== pool.size) {
    for (const id of [...pool.byId.keys()]) if (!seen.has(id)) pool.delete(id)
  }
}
