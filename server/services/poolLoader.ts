import { and, eq, ne } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mysqlSchema, sqliteSchema } from '../../db/client'
import type { GroupRow, GroupSubGroupRow, KeyStatus, ProxyKeyRow } from '../../shared/types/rows'

/** What the proxy engine needs of a key row: no counters, the secret still encrypted. */
export type PoolKeyRow = {
  id: number
  groupId: number
  keyCiphertext: string
  status: KeyStatus
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
}

export async function loadGroups(handle: Db): Promise<{ groups: GroupRow[]; subGroups: GroupSubGroupRow[] }> {
  if (handle.dialect === 'sqlite') {
    return { groups: handle.db.select().from(sqliteSchema.groups).all(), subGroups: handle.db.select().from(sqliteSchema.groupSubGroups).all() }
  }
  const [groups, subGroups] = await Promise.all([handle.db.select().from(mysqlSchema.groups), handle.db.select().from(mysqlSchema.groupSubGroups)])
  return { groups, subGroups }
}

/** Keys of one group, or of every group; disabled keys included so counts by state are right. */
export async function loadPoolKeys(handle: Db, groupId?: number): Promise<PoolKeyRow[]> {
  if (handle.dialect === 'sqlite') {
    const t = sqliteSchema.apiKeys
    const q = handle.db.select({ id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status, consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError }).from(t)
    return groupId === undefined ? q.all() : q.where(eq(t.groupId, groupId)).all()
  }
  const t = mysqlSchema.apiKeys
  const q = handle.db.select({ id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status, consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError }).from(t)
  return groupId === undefined ? await q : await q.where(eq(t.groupId, groupId))
}

export async function loadProxyKeys(handle: Db): Promise<ProxyKeyRow[]> {
  if (handle.dialect === 'sqlite') return handle.db.select().from(sqliteSchema.proxyKeys).all()
  return handle.db.select().from(mysqlSchema.proxyKeys)
}

export type KeyStateUpdate = {
  id: number
  /** The status the database is expected to hold; the row is left alone when it differs (an admin changed it). */
  expectedStatus: KeyStatus
  status: KeyStatus
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
}

/** Writes key states in one transaction; returns the ids whose row matched `expectedStatus`. */
export async function writeKeyStates(handle: Db, updates: KeyStateUpdate[]): Promise<Set<number>> {
  const now = Date.now()
  const written = new Set<number>()
  if (handle.dialect === 'sqlite') {
    const t = sqliteSchema.apiKeys
    handle.db.transaction((tx) => {
      for (const u of updates) {
        const r = tx.update(t).set({ status: u.status, consecutiveFailures: u.consecutiveFailures, cooldownUntil: u.cooldownUntil, lastError: u.lastError, updatedAt: now })
          .where(and(eq(t.id, u.id), eq(t.status, u.expectedStatus), ne(t.status, 'disabled'))).run()
        if (r.changes > 0) written.add(u.id)
      }
    })
    return written
  }
  const t = mysqlSchema.apiKeys
  await handle.db.transaction(async (tx) => {
    for (const u of updates) {
      const [r] = await tx.update(t).set({ status: u.status, consecutiveFailures: u.consecutiveFailures, cooldownUntil: u.cooldownUntil, lastError: u.lastError, updatedAt: now })
        .where(and(eq(t.id, u.id), eq(t.status, u.expectedStatus), ne(t.status, 'disabled')))
      if ((r as { affectedRows?: number }).affectedRows) written.add(u.id)
    }
  })
  return written
}
