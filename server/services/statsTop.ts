import { and, desc, eq, gte, inArray, ne, sql, sum, type SQL } from 'drizzle-orm'
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import type { KeyEventsQuery, OverviewQuery } from '../../shared/schemas/logs'
import type { KeyEventFeed, TopItem, TopLists } from '../../shared/types/dashboard'
import { access } from './dbAccess'
import type { KeyCipher } from './keys/cipher'
import { maskStored } from './keys/rows'
import { HOUR, windows } from './statsWindows'

const TOP = 5

const num = (v: unknown) => Number(v ?? 0)

/**
 * `GET /api/stats/top?range=`: the busiest groups, models and proxy keys in the range, from the
 * rollups: the minute rollup for 1 h, the hourly ones (group × model, proxy key) for longer.
 */
export async function top(handle: Db, q: OverviewQuery, now = Date.now()): Promise<TopLists> {
  const { db, t } = access(handle)
  const w = windows(q.range, now).current
  const lastHour = q.range === '1h'
  const m = t.minuteStats
  const h = t.hourlyStats
  const p = t.proxyKeyStats
  type Source = typeof m | typeof h | typeof p
  const busiest = (s: Source, key: AnySQLiteColumn, where: SQL | undefined) => db.select({
    key, requests: sum(s.requests), failures: sum(s.failures), tokens: sql<number>`sum(${s.promptTokens} + ${s.completionTokens})`,
  }).from(s).where(where).groupBy(key).orderBy(desc(sum(s.requests))).limit(TOP)

  const inMinutes = and(gte(m.minute, w.from), ne(m.groupId, 0))
  const byGroup = await (lastHour ? busiest(m, m.groupId, inMinutes) : busiest(h, h.groupId, gte(h.hour, w.from)))
  const byModel = await (lastHour ? busiest(m, m.model, inMinutes) : busiest(h, h.model, gte(h.hour, w.from)))
  const byProxyKey = await (lastHour
    ? busiest(m, m.proxyKeyId, and(gte(m.minute, w.from), ne(m.proxyKeyId, 0)))
    : busiest(p, p.proxyKeyId, and(gte(p.hour, w.from), ne(p.proxyKeyId, 0))))

  const groupIds = byGroup.map(r => Number(r.key))
  const proxyKeyIds = byProxyKey.map(r => Number(r.key))
  const groupNames = new Map((groupIds.length
    ? await db.select({ id: t.groups.id, name: t.groups.name }).from(t.groups).where(inArray(t.groups.id, groupIds))
    : []).map(g => [g.id, g.name]))
  const proxyKeyNames = new Map((proxyKeyIds.length
    ? await db.select({ id: t.proxyKeys.id, name: t.proxyKeys.name }).from(t.proxyKeys).where(inArray(t.proxyKeys.id, proxyKeyIds))
    : []).map(p => [p.id, p.name]))
  const item = (id: number | null, name: string, r: { requests: unknown; failures: unknown; tokens: unknown }): TopItem =>
    ({ id, name, requests: num(r.requests), failures: num(r.failures), tokens: num(r.tokens) })
  return {
    range: q.range,
    from: w.from,
    groups: byGroup.map(r => item(Number(r.key), groupNames.get(Number(r.key)) ?? `#${r.key}`, r)),
    models: byModel.map(r => item(null, String(r.key ?? ''), r)),
    proxyKeys: byProxyKey.map(r => item(Number(r.key), proxyKeyNames.get(Number(r.key)) ?? `#${r.key}`, r)),
  }
}

/**
 * `GET /api/stats/key-events?since=&limit=`: the keys whose state was written most recently
 * (cooldowns, bans, restores, validations, admin changes, from every instance), newest first,
 * read through the `updated_at` index. A key shows once, in the state it is in now.
 */
export async function keyEvents(handle: Db, cipher: KeyCipher, q: KeyEventsQuery, now = Date.now()): Promise<KeyEventFeed> {
  const { db, t } = access(handle)
  const k = t.apiKeys
  const rows = await db.select({
    keyId: k.id, groupId: k.groupId, groupName: t.groups.name, ciphertext: k.keyCiphertext, status: k.status, lastError: k.lastError,
    cooldownUntil: k.cooldownUntil, consecutiveFailures: k.consecutiveFailures, changedAt: k.updatedAt,
  }).from(k).innerJoin(t.groups, eq(t.groups.id, k.groupId))
    .where(gte(k.updatedAt, q.since ?? now - 24 * HOUR)).orderBy(desc(k.updatedAt)).limit(q.limit)
  return {
    items: rows.map(({ ciphertext, ...r }) => ({ ...r, masked: maskStored(cipher, ciphertext) })),
    time: now,
  }
}
