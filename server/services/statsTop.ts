import { and, desc, eq, gte, inArray, isNotNull, sql, sum } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { KeyEventsQuery, OverviewQuery } from '../../shared/schemas/logs'
import type { KeyStatus } from '../../shared/types/rows'
import { access } from './dbAccess'
import type { KeyCipher } from './keys/cipher'
import { maskStored } from './keys/rows'
import { HOUR, windows } from './statsWindows'

export type TopItem = { id: number | null; name: string; requests: number; failures: number; tokens: number }
const TOP = 5

const num = (v: unknown) => Number(v ?? 0)

/**
 * `GET /api/stats/top?range=`: the busiest groups, models and proxy keys in the range. Groups and
 * models from the hourly stats (the log for 1 h); proxy keys from the log, which alone records them.
 */
export async function top(handle: Db, q: OverviewQuery, now = Date.now()) {
  const { db, t } = access(handle)
  const w = windows(q.range, now).current
  const l = t.requestLogs
  const h = t.hourlyStats
  const finalRequests = sql<number>`sum(case when ${l.type} = 'final' then 1 else 0 end)`
  const finalFailures = sql<number>`sum(case when ${l.type} = 'final' and not ${l.success} then 1 else 0 end)`
  const logTokens = sql<number>`sum(${l.promptTokens} + ${l.completionTokens})`
  const inLog = and(gte(l.time, w.from), isNotNull(l.groupId))

  const hourlyTokens = sql<number>`sum(${h.promptTokens} + ${h.completionTokens})`
  const byGroup = q.range === '1h'
    ? await db.select({ key: l.groupId, requests: finalRequests, failures: finalFailures, tokens: logTokens }).from(l).where(inLog)
        .groupBy(l.groupId).orderBy(desc(finalRequests)).limit(TOP)
    : await db.select({ key: h.groupId, requests: sum(h.requests), failures: sum(h.failures), tokens: hourlyTokens })
        .from(h).where(gte(h.hour, w.from)).groupBy(h.groupId).orderBy(desc(sum(h.requests))).limit(TOP)
  const byModel = q.range === '1h'
    ? await db.select({ key: l.model, requests: finalRequests, failures: finalFailures, tokens: logTokens }).from(l).where(inLog)
        .groupBy(l.model).orderBy(desc(finalRequests)).limit(TOP)
    : await db.select({ key: h.model, requests: sum(h.requests), failures: sum(h.failures), tokens: hourlyTokens })
        .from(h).where(gte(h.hour, w.from)).groupBy(h.model).orderBy(desc(sum(h.requests))).limit(TOP)
  const byProxyKey = await db.select({ key: l.proxyKeyId, requests: finalRequests, failures: finalFailures, tokens: logTokens }).from(l)
    .where(and(gte(l.time, w.from), isNotNull(l.proxyKeyId))).groupBy(l.proxyKeyId).orderBy(desc(finalRequests)).limit(TOP)

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

export type KeyEvent = {
  keyId: number
  groupId: number
  groupName: string
  masked: string
  status: KeyStatus
  lastError: string | null
  cooldownUntil: number | null
  consecutiveFailures: number
  changedAt: number
}

export type KeyEventFeed = { items: KeyEvent[]; time: number }

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
