import { and, gte, ne, sum } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { TimeseriesQuery } from '../../shared/schemas/logs'
import type { Series, SeriesPoint } from '../../shared/types/dashboard'
import { access } from './dbAccess'
import { statsScope } from './stats'
import { DAY, groupIn, HOUR, MINUTE, SPANS } from './statsWindows'

const STEPS = { '1h': MINUTE, '24h': HOUR, '7d': HOUR, '30d': DAY } as const

/**
 * `GET /api/stats/timeseries?range=&groupId=`: per minute for 1 h, per hour for 24 h and 7 d, per
 * UTC day for 30 d, zeros where nothing happened; from the hourly rollup (the minute rollup for 1 h).
 */
export async function timeseries(handle: Db, q: TimeseriesQuery, now = Date.now()): Promise<Series> {
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
  const hourly = q.range !== '1h'
  const r = hourly ? t.hourlyStats : t.minuteStats
  const at = hourly ? t.hourlyStats.hour : t.minuteStats.minute
  const rows = await db.select({
    at, requests: sum(r.requests), failures: sum(r.failures), retries: sum(r.retries),
    promptTokens: sum(r.promptTokens), completionTokens: sum(r.completionTokens), cachedTokens: sum(r.cachedTokens),
  }).from(r).where(and(gte(at, start), ne(r.groupId, 0), groupIn(r.groupId, ids))).groupBy(at)
  for (const { at: time, ...f } of rows) add(Number(time), f)
  return { range: q.range, groupId: q.groupId ?? null, step, points: buckets }
}
