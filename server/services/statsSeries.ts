import { and, eq, gte, isNotNull, sql, sum } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { TimeseriesQuery } from '../../shared/schemas/logs'
import { access } from './dbAccess'
import { statsScope } from './stats'
import { DAY, groupIn, HOUR, MINUTE, SPANS } from './statsWindows'

export type SeriesPoint = {
  time: number
  requests: number
  failures: number
  retries: number
  promptTokens: number
  completionTokens: number
  cachedTokens: number
}

const STEPS = { '1h': MINUTE, '24h': HOUR, '7d': HOUR, '30d': DAY } as const

/** `time - time % step`, with the step written into the SQL so MySQL sees one GROUP BY expression. */
const bucketOf = (column: unknown, step: number) => sql<number>`${column} - (${column} % ${sql.raw(String(step))})`

/**
 * `GET /api/stats/timeseries?range=&groupId=`: per minute for 1 h, per hour for 24 h and 7 d, per
 * UTC day for 30 d, zeros where nothing happened. Requests, failures and tokens come from the
 * hourly stats (from the log for 1 h); retries always from the log (so none older than its retention).
 */
export async function timeseries(handle: Db, q: TimeseriesQuery, now = Date.now()) {
  const ids = q.groupId !== undefined ? (await statsScope(handle, q.groupId)).ids : undefined
  const step = STEPS[q.range]
  const end = Math.floor(now / step) * step
  const points = Math.round(SPANS[q.range] / step)
  const start = end - (points - 1) * step
  const buckets: SeriesPoint[] = Array.from({ length: points }, (_, i) => ({
    time: start + i * step, requests: 0, failures: 0, retries: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0,
  }))
  const add = (time: number, f: Partial<Record<Exclude<keyof SeriesPoint, 'time'>, unknown>>) => {
    const b = buckets[Math.floor((time - start) / step)]
    if (!b) return
    for (const [k, v] of Object.entries(f)) b[k as Exclude<keyof SeriesPoint, 'time'>] += Number(v ?? 0)
  }
  const { db, t } = access(handle)
  const l = t.requestLogs
  if (q.range === '1h') {
    const bucket = bucketOf(l.time, step)
    const rows = await db.select({
      bucket,
      requests: sql<number>`sum(case when ${l.type} = 'final' then 1 else 0 end)`,
      failures: sql<number>`sum(case when ${l.type} = 'final' and not ${l.success} then 1 else 0 end)`,
      retries: sql<number>`sum(case when ${l.type} = 'retry' then 1 else 0 end)`,
      promptTokens: sum(l.promptTokens), completionTokens: sum(l.completionTokens), cachedTokens: sum(l.cachedTokens),
    }).from(l).where(and(gte(l.time, start), isNotNull(l.groupId), groupIn(l.groupId, ids))).groupBy(bucket)
    for (const { bucket: b, ...f } of rows) add(Number(b), f)
  } else {
    const h = t.hourlyStats
    const rows = await db.select({
      hour: h.hour, requests: sum(h.requests), failures: sum(h.failures),
      promptTokens: sum(h.promptTokens), completionTokens: sum(h.completionTokens), cachedTokens: sum(h.cachedTokens),
    }).from(h).where(and(gte(h.hour, start), groupIn(h.groupId, ids))).groupBy(h.hour)
    for (const { hour, ...f } of rows) add(Number(hour), f)
    const bucket = bucketOf(l.time, step)
    const retries = await db.select({ bucket, n: sql<number>`count(*)` }).from(l)
      .where(and(gte(l.time, start), eq(l.type, 'retry'), groupIn(l.groupId, ids))).groupBy(bucket)
    for (const r of retries) add(Number(r.bucket), { retries: r.n })
  }
  return { range: q.range, groupId: q.groupId ?? null, step, points: buckets }
}
