import { and, asc, eq, gt, gte, inArray, ne, sql } from 'drizzle-orm'
import type { Db } from '../../../db/client'
import { mysqlSchema, sqliteSchema } from '../../../db/client'
import type { GroupRow, GroupSubGroupRow, ProxyKeyRow } from '../../../shared/types/rows'
import type { EngineData, KeyStateUpdate, PoolKeyRow, ProxyKeySpend } from '../../proxy/ports'
import { access } from '../dbAccess'

/**
 * What the proxy engine reads from the database (groups, keys page by page or by id, proxy keys)
 * and writes back (key states in batches: the engine's writer calls `writeKeyStates`).
 */
export function createEngineData(handle: Db): EngineData {
  return {
    loadGroups: () => loadGroups(handle),
    loadPoolKeyPage: (groupId, afterId, limit) => loadPoolKeyPage(handle, groupId, afterId, limit),
    loadPoolKeysByIds: (groupId, ids) => loadPoolKeysByIds(handle, groupId, ids),
    loadProxyKeys: () => loadProxyKeys(handle),
    writeKeyStates: updates => writeKeyStates(handle, updates),
    loadPrices: async () => { const { db, t } = access(handle); return db.select().from(t.modelPrices) },
    loadProxyKeySpend: (id, since) => loadProxyKeySpend(handle, id, since),
  }
}

export async function loadGroups(handle: Db): Promise<{ groups: GroupRow[]; subGroups: GroupSubGroupRow[] }> {
  if (handle.dialect === 'sqlite') {
    return {
      groups: handle.db.select().from(sqliteSchema.groups).all(),
      subGroups: handle.db.select().from(sqliteSchema.groupSubGroups).all(),
    }
  }
  const [groups, subGroups] = await Promise.all([
    handle.db.select().from(mysqlSchema.groups),
    handle.db.select().from(mysqlSchema.groupSubGroups),
  ])
  return { groups, subGroups }
}

/**
 * One page of a group's keys with ids above `afterId`, in id order. Paging walks the
 * (group_id, id) index on both dialects, so each page costs its own size whatever the group's.
 */
export async function loadPoolKeyPage(handle: Db, groupId: number, afterId: number, limit: number): Promise<PoolKeyRow[]> {
  if (handle.dialect === 'sqlite') {
    const t = sqliteSchema.apiKeys
    return handle.db.select({
      id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status,
      consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError,
    }).from(t).where(and(eq(t.groupId, groupId), gt(t.id, afterId))).orderBy(asc(t.id)).limit(limit).all()
  }
  const t = mysqlSchema.apiKeys
  return handle.db.select({
    id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status,
    consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError,
  }).from(t).where(and(eq(t.groupId, groupId), gt(t.id, afterId))).orderBy(asc(t.id)).limit(limit)
}

const ID_CHUNK = 500

/** The rows of these key ids that still exist in the group (an id missing from the answer was deleted or moved). */
export async function loadPoolKeysByIds(handle: Db, groupId: number, ids: number[]): Promise<PoolKeyRow[]> {
  const out: PoolKeyRow[] = []
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK)
    if (handle.dialect === 'sqlite') {
      const t = sqliteSchema.apiKeys
      out.push(...handle.db.select({
        id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status,
        consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError,
      }).from(t).where(and(eq(t.groupId, groupId), inArray(t.id, chunk))).all())
    } else {
      const t = mysqlSchema.apiKeys
      out.push(...await handle.db.select({
        id: t.id, groupId: t.groupId, keyCiphertext: t.keyCiphertext, status: t.status,
        consecutiveFailures: t.consecutiveFailures, cooldownUntil: t.cooldownUntil, lastError: t.lastError,
      }).from(t).where(and(eq(t.groupId, groupId), inArray(t.id, chunk))))
    }
  }
  return out
}

export async function loadProxyKeys(handle: Db): Promise<ProxyKeyRow[]> {
  if (handle.dialect === 'sqlite') return handle.db.select().from(sqliteSchema.proxyKeys).all()
  return handle.db.select().from(mysqlSchema.proxyKeys)
}

/**
 * Writes key states in one transaction; returns the ids whose row matched `expectedStatus`. A row
 * is written only while it still holds the status the engine last knew, so an admin's change made
 * in the meantime (disable, restore) is never overwritten by a late cooldown or ban.
 */
export async function writeKeyStates(handle: Db, updates: KeyStateUpdate[]): Promise<Set<number>> {
  const now = Date.now()
  const written = new Set<number>()
  if (handle.dialect === 'sqlite') {
    const t = sqliteSchema.apiKeys
    handle.db.transaction((tx) => {
      for (const u of updates) {
        const r = tx.update(t).set({
          status: u.status, consecutiveFailures: u.consecutiveFailures,
          cooldownUntil: u.cooldownUntil, lastError: u.lastError, updatedAt: now,
        }).where(and(eq(t.id, u.id), eq(t.status, u.expectedStatus), ne(t.status, 'disabled'))).run()
        if (r.changes > 0) written.add(u.id)
      }
    })
    return written
  }
  const t = mysqlSchema.apiKeys
  await handle.db.transaction(async (tx) => {
    for (const u of updates) {
      const [r] = await tx.update(t).set({
        status: u.status, consecutiveFailures: u.consecutiveFailures,
        cooldownUntil: u.cooldownUntil, lastError: u.lastError, updatedAt: now,
      }).where(and(eq(t.id, u.id), eq(t.status, u.expectedStatus), ne(t.status, 'disabled')))
      if ((r as { affectedRows?: number }).affectedRows) written.add(u.id)
    }
  })
  return written
}

/** A proxy key's requests, tokens and cost since `since`, from the request log (seeds its budget counters). */
export async function loadProxyKeySpend(handle: Db, proxyKeyId: number, since: number): Promise<ProxyKeySpend> {
  const { db, t } = access(handle)
  const l = t.requestLogs
  const [r] = await db.select({
    requests: sql<number>`coalesce(sum(case when ${l.type} = 'final' then 1 else 0 end), 0)`,
    tokens: sql<number>`coalesce(sum(${l.promptTokens} + ${l.completionTokens}), 0)`,
    cost: sql<number>`coalesce(sum(${l.cost}), 0)`,
  }).from(l).where(and(eq(l.proxyKeyId, proxyKeyId), gte(l.time, since)))
  return { requests: Number(r?.requests ?? 0), tokens: Number(r?.tokens ?? 0), cost: Number(r?.cost ?? 0) }
}
