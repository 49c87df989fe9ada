import { and, count, eq, gte, inArray, sum } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { TimeseriesQuery, UsageTotals } from '../../shared/schemas/logs'
import type { KeyStatus } from '../../shared/types/rows'
import { access } from './dbAccess'
import { getGroupRow } from './groups'

const HOUR = 3600_000
const DAY = 24 * HOUR
const WINDOWS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const

export type KeyCounts = Record<KeyStatus, number> & { total: number }

async function keyCounts(handle: Db, groupIds?: number[]): Promise<KeyCounts> {
  const { db, t } = access(handle)
  const rows = await db.select({ status: t.apiKeys.status, n: count() }).from(t.apiKeys)
    .where(groupIds !== undefined ? inArray(t.apiKeys.groupId, groupIds.length ? groupIds : [-1]) : undefined).groupBy(t.apiKeys.status)
  const out: KeyCounts = { active: 0, cooling: 0, invalid: 0, disabled: 0, total: 0 }
  for (const r of rows) { out[r.status] = Number(r.n); out.total += Number(r.n) }
  return out
}

async function usageSince(handle: Db, since: number, groupIds?: number[]): Promise<UsageTotals> {
  const { db, t } = access(handle)
  const h = t.hourlyStats
  const r = (await db.select({
    requests: sum(h.requests), failures: sum(h.failures),
    promptTokens: sum(h.promptTokens), completionTokens: sum(h.completionTokens), cachedTokens: sum(h.cachedTokens), cost: sum(h.cost),
  }).from(h).where(and(gte(h.hour, since), groupIds !== undefined ? inArray(h.groupId, groupIds.length ? groupIds : [-1]) : undefined)))[0]
  return {
    requests: Number(r?.requests ?? 0), failures: Number(r?.failures ?? 0), promptTokens: Number(r?.promptTokens ?? 0),
    completionTokens: Number(r?.completionTokens ?? 0), cachedTokens: Number(r?.cachedTokens ?? 0), cost: Number(r?.cost ?? 0),
  }
}

/** The hour bucket a time falls in (hourly_stats rows are keyed by it). */
const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR

/**
 * The groups whose rows stand for a group: itself, or for an aggregate (which has no keys and
 * whose requests are logged on the sub-group that served them) its sub-groups.
 */
async function statsScope(handle: Db, groupId: number): Promise<{ ids: number[]; scope: 'group' | 'sub-groups' }> {
  const group = await getGroupRow(handle, groupId)
  if (group.type !== 'aggregate') return { ids: [groupId], scope: 'group' }
  const { db, t } = access(handle)
  const subs = await db.select({ id: t.groupSubGroups.subGroupId }).from(t.groupSubGroups).where(eq(t.groupSubGroups.groupId, groupId))
  return { ids: subs.map(r => r.id), scope: 'sub-groups' }
}

/** `GET /api/groups/{id}/stats`: keys by state, and usage over the last 24 h, 7 d and 30 d. */
export async function groupStats(handle: Db, groupId: number, now = Date.now()) {
  const { ids, scope } = await statsScope(handle, groupId)
  const usage: Record<keyof typeof WINDOWS, UsageTotals> = {} as never
  for (const [name, span] of Object.entries(WINDOWS)) {
    usage[name as keyof typeof WINDOWS] = await usageSince(handle, hourOf(now - span) + HOUR, ids)
  }
  return { groupId, scope, keys: await keyCounts(handle, ids), usage }
}

/** `GET /api/stats/overview`: the dashboard's headline numbers. */
export async function overview(handle: Db, now = Date.now()) {
  const { db, t } = access(handle)
  const groups = Number((await db.select({ n: count() }).from(t.groups))[0]!.n)
  const proxyKeys = Number((await db.select({ n: count() }).from(t.proxyKeys))[0]!.n)
  const last24h = await usageSince(handle, hourOf(now - DAY) + HOUR)
  const previous24h = await usageSince(handle, hourOf(now - 2 * DAY) + HOUR)
  const l = t.requestLogs
  const lastMinute = Number((await db.select({ n: count() }).from(l).where(and(gte(l.time, now - 60_000), eq(l.type, 'final'))))[0]!.n)
  return {
    groups,
    proxyKeys,
    keys: await keyCounts(handle),
    last24h: { ...last24h, successRate: last24h.requests ? (last24h.requests - last24h.failures) / last24h.requests : null },
    previous24h: subtract(previous24h, last24h),
    requestsLastMinute: lastMinute,
  }
}

function subtract(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    requests: a.requests - b.requests,
    failures: a.failures - b.failures,
    promptTokens: a.promptTokens - b.promptTokens,
    completionTokens: a.completionTokens - b.completionTokens,
    cachedTokens: a.cachedTokens - b.cachedTokens,
    cost: a.cost - b.cost,
  }
}

/** `GET /api/stats/timeseries`: hourly points for 24 h and 7 d, daily (UTC) for 30 d, zeros where nothing happened. */
export async function timeseries(handle: Db, q: TimeseriesQuery, now = Date.now()) {
  const ids = q.groupId !== undefined ? (await statsScope(handle, q.groupId)).ids : undefined
  const step = q.range === '30d' ? DAY : HOUR
  const end = Math.floor(now / step) * step
  const points = Math.round(WINDOWS[q.range] / step)
  const start = end - (points - 1) * step
  const { db, t } = access(handle)
  const h = t.hourlyStats
  const rows = await db.select({
    hour: h.hour, requests: sum(h.requests), failures: sum(h.failures),
    promptTokens: sum(h.promptTokens), completionTokens: sum(h.completionTokens), cachedTokens: sum(h.cachedTokens), cost: sum(h.cost),
  }).from(h).where(and(gte(h.hour, start), ids !== undefined ? inArray(h.groupId, ids.length ? ids : [-1]) : undefined)).groupBy(h.hour)
  const buckets = Array.from({ length: points }, (_, i) => ({
    time: start + i * step, requests: 0, failures: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, cost: 0,
  }))
  for (const r of rows) {
    const i = Math.floor((Number(r.hour) - start) / step)
    const b = buckets[i]
    if (!b) continue
    b.requests += Number(r.requests ?? 0); b.failures += Number(r.failures ?? 0); b.promptTokens += Number(r.promptTokens ?? 0)
    b.completionTokens += Number(r.completionTokens ?? 0); b.cachedTokens += Number(r.cachedTokens ?? 0); b.cost += Number(r.cost ?? 0)
  }
  return { range: q.range, groupId: q.groupId ?? null, step, points: buckets }
}
