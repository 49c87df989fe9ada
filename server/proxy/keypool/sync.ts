import { maskSecret } from '../../../shared/mask'
import type { PoolKeyRow } from '../ports'
import type { KeyPool } from './pool'
import { newPoolKey, type PoolKey } from './types'

export type Decrypt = (ciphertext: string) => string
export type OnUndecryptable = (id: number) => void

/**
 * Brings one key of a pool in line with its database row. A new row comes in (the only case
 * that decrypts). For a key we already hold, a status the database changed since we last knew
 * it (an admin disabling or restoring it, or another instance's write) wins; otherwise our
 * in-memory state stands, so a cooldown or a run of failures not yet written back is not lost.
 * Returns the pool's key, or null when the row cannot be decrypted.
 */
export function applyRow(pool: KeyPool, r: PoolKeyRow, decrypt: Decrypt, onUndecryptable: OnUndecryptable, now: number): PoolKey | null {
  const k = pool.byId.get(r.id)
  if (!k) {
    let secret: string
    try { secret = decrypt(r.keyCiphertext) } catch { onUndecryptable(r.id); return null }
    let status = r.status
    // A cooldown that ran out while nobody held the key in memory.
    if (status === 'cooling' && (r.cooldownUntil ?? 0) <= now) status = 'active'
    const added = newPoolKey({
      id: r.id, groupId: r.groupId, secret, masked: maskSecret(secret), status,
      consecutiveFailures: r.consecutiveFailures, cooldownUntil: r.cooldownUntil, lastError: r.lastError,
    })
    pool.add(added)
    if (status !== r.status) added.dbStatus = r.status
    return added
  }
  if (r.status !== k.dbStatus) {
    k.dbStatus = r.status
    k.consecutiveFailures = r.consecutiveFailures
    k.lastError = r.lastError
    const status = r.status === 'cooling' && (r.cooldownUntil ?? 0) <= now ? 'active' : r.status
    pool.transition(k, status, r.cooldownUntil ?? 0)
  }
  return k
}

/** Reload of the whole group at once: new rows come in, deleted ones go (small groups, tests). */
export function syncPool(pool: KeyPool, rows: PoolKeyRow[], decrypt: Decrypt, onUndecryptable: OnUndecryptable, now = Date.now()) {
  const seen = new Set<number>()
  for (const r of rows) {
    seen.add(r.id)
    applyRow(pool, r, decrypt, onUndecryptable, now)
  }
  if (seen.size !== pool.size) {
    for (const id of [...pool.byId.keys()]) if (!seen.has(id)) pool.delete(id)
  }
}

/**
 * Reload of named keys only (a change notice that lists them): `rows` are those of `ids` still
 * in the group; an id without a row was deleted (or is unreadable) and leaves the pool.
 */
export function applyKeyRows(
  pool: KeyPool,
  ids: readonly number[],
  rows: PoolKeyRow[],
  decrypt: Decrypt,
  onUndecryptable: OnUndecryptable,
  now = Date.now(),
) {
  const held = new Set<number>()
  for (const r of rows) {
    if (r.groupId !== pool.groupId) continue
    if (applyRow(pool, r, decrypt, onUndecryptable, now)) held.add(r.id)
  }
  for (const id of ids) if (!held.has(id)) pool.delete(id)
}
