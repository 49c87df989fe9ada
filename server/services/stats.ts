import { count, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { OverviewQuery, UsageTotals } from '../../shared/schemas/logs'
import type { KeyCounts, Overview, PeriodFigures } from '../../shared/types/dashboard'
import { access } from './dbAccess'
import { getGroupRow } from './groups'
import {
  DAY, finalCount, hourOf, HOUR, MINUTE, retryCount, ttftPercentiles, usageIn, windows, type Window,
} from './statsWindows'

const WINDOWS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const

async function keyCounts(handle: Db, groupIds?: number[]): Promise<KeyCounts> {
  const { db, t } = access(handle)
  const rows = await db.select({ status: t.apiKeys.status, n: count() }).from(t.apiKeys)
    .where(groupIds !== undefined ? inArray(t.apiKeys.groupId, groupIds.length ? groupIds : [-1]) : undefined).groupBy(t.apiKeys.status)
  const out: KeyCounts = { active: 0, cooling: 0, invalid: 0, disabled: 0, total: 0 }
  for (const r of rows) { out[r.status] = Number(r.n); out.total += Number(r.n) }
  return out
}

const usageSince = (handle: Db, since: number, groupIds?: number[]) =>
  usageIn(handle, { from: since, to: Number.MAX_SAFE_INTEGER }, true, groupIds)

/**
 * The groups whose rows stand for a group: itself, or for an aggregate (which has no keys and
 * whose requests are logged on the sub-group that served them) its sub-groups.
 */
export async function statsScope(handle: Db, groupId: number): Promise<{ ids: number[]; scope: 'group' | 'sub-groups' }> {
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

async function period(handle: Db, w: Window, hourly: boolean): Promise<PeriodFigures> {
  const usage = await usageIn(handle, w, hourly)
  const ttft = await ttftPercentiles(handle, w)
  return {
    ...usage,
    retries: await retryCount(handle, w, hourly),
    errorRate: usage.requests ? usage.failures / usage.requests : null,
    ttftP50: ttft.p50, ttftP95: ttft.p95, ttftSamples: ttft.samples,
    from: w.from, to: w.to,
  }
}

/**
 * `GET /api/stats/overview?range=`: the dashboard's figures for the range (`current`) and the
 * same span just before it (`previous`, for the trend), requests in the last minute and the one
 * before it, keys by state. `last24h`, `previous24h` and `requestsLastMinute` as before.
 */
export async function overview(handle: Db, q: OverviewQuery = { range: '24h' }, now = Date.now()): Promise<Overview> {
  const { db, t } = access(handle)
  const groups = Number((await db.select({ n: count() }).from(t.groups))[0]!.n)
  const proxyKeys = Number((await db.select({ n: count() }).from(t.proxyKeys))[0]!.n)
  const last24h = await usageSince(handle, hourOf(now - DAY) + HOUR)
  const previous24h = await usageSince(handle, hourOf(now - 2 * DAY) + HOUR)
  const w = windows(q.range, now)
  const rpmNow = await finalCount(handle, { from: now - MINUTE, to: now + 1 })
  const rpmBefore = await finalCount(handle, { from: now - 2 * MINUTE, to: now - MINUTE })
  return {
    groups,
    proxyKeys,
    keys: await keyCounts(handle),
    last24h: { ...last24h, successRate: last24h.requests ? (last24h.requests - last24h.failures) / last24h.requests : null },
    previous24h: subtract(previous24h, last24h),
    requestsLastMinute: rpmNow,
    range: q.range,
    current: await period(handle, w.current, w.hourly),
    previous: await period(handle, w.previous, w.hourly),
    rpm: { now: rpmNow, previous: rpmBefore },
    time: now,
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
