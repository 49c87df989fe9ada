import { and, count, eq, gte, inArray, lt, ne, sql, sum } from 'drizzle-orm'
import type { Db, sqliteSchema } from '../../db/client'
import type { StatsRange, UsageTotals } from '../../shared/schemas/logs'
import { access } from './dbAccess'

/**
 * The dashboard's time windows and the rollups behind them (written with each log batch, see
 * logWriter.ts): `hourly_stats` (group × model × hour, kept for good) for whole hours and
 * `minute_stats` (group × model × proxy key × minute, the last few hours) for the last hour.
 * The log itself is read only where a rollup cannot answer and the read is bounded: requests in
 * the last minute (an index-only count) and the newest TTFT_SAMPLE times to first token.
 */
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const SPANS: Record<StatsRange, number> = { '1h': HOUR, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY }

/** The hour bucket a time falls in (hourly_stats rows are keyed by it). */
export const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR

/** `[from, to)` in ms; hourly sources round `from` up to the next whole hour (the hour it is in started earlier). */
export type Window = { from: number; to: number }

export const groupIn = (column: Parameters<typeof inArray>[0], ids: number[] | undefined) =>
  ids !== undefined ? inArray(column, ids.length ? ids : [-1]) : undefined

const zero = (): UsageTotals => ({ requests: 0, failures: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, cost: 0 })

type Rollup = (typeof sqliteSchema)['hourlyStats' | 'minuteStats' | 'proxyKeyStats']

/** The usage columns of a rollup, summed (drizzle answers sums as strings: read them with Number). */
export const usageSums = (s: Rollup) => ({
  requests: sum(s.requests), failures: sum(s.failures),
  promptTokens: sum(s.promptTokens), completionTokens: sum(s.completionTokens), cachedTokens: sum(s.cachedTokens), cost: sum(s.cost),
})

/**
 * Requests, failures, tokens and cost in the window: from the hourly rollup (hours that start in
 * it) or, for windows shorter than a day, the minute rollup (minutes that start in it).
 */
export async function usageIn(handle: Db, w: Window, hourly: boolean, groupIds?: number[]): Promise<UsageTotals> {
  const { db, t } = access(handle)
  const s = hourly ? t.hourlyStats : t.minuteStats
  const at = hourly ? t.hourlyStats.hour : t.minuteStats.minute
  const r = (await db.select(usageSums(s)).from(s)
    .where(and(gte(at, w.from), lt(at, w.to), ne(s.groupId, 0), groupIn(s.groupId, groupIds))))[0]
  const out = zero()
  for (const k of Object.keys(out) as (keyof UsageTotals)[]) out[k] = Number(r?.[k] ?? 0)
  return out
}

/** Attempts that were retried on another key in the window, from the hourly or the minute rollup. */
export async function retryCount(handle: Db, w: Window, hourly: boolean, groupIds?: number[]): Promise<number> {
  const { db, t } = access(handle)
  const s = hourly ? t.hourlyStats : t.minuteStats
  const at = hourly ? t.hourlyStats.hour : t.minuteStats.minute
  const r = await db.select({ n: sum(s.retries) }).from(s).where(and(gte(at, w.from), lt(at, w.to), groupIn(s.groupId, groupIds)))
  return Number(r[0]?.n ?? 0)
}

/** Final requests in the window (the requests-per-minute figure): a count over the (type, time) index alone. */
export async function finalCount(handle: Db, w: Window): Promise<number> {
  const { db, t } = access(handle)
  const l = t.requestLogs
  const r = await db.select({ n: count() }).from(l).where(and(gte(l.time, w.from), lt(l.time, w.to), eq(l.type, 'final')))
  return Number(r[0]?.n ?? 0)
}

/** How many of the newest final answers in a window the TTFT percentiles read. */
export const TTFT_SAMPLE = 5000

/**
 * Time to first byte, p50 and p95, of the successful answers among the newest TTFT_SAMPLE final
 * answers in the window: a bounded read down the (type, time) index, so the figure costs the
 * same at 10 or 10,000 rps, and also when few answers carry a first-byte time.
 */
export async function ttftPercentiles(handle: Db, w: Window): Promise<{ p50: number | null; p95: number | null; samples: number }> {
  const { db, t } = access(handle)
  const l = t.requestLogs
  const rows = await db.select({ v: l.ttftMs, ok: l.success }).from(l)
    .where(and(eq(l.type, 'final'), gte(l.time, w.from), lt(l.time, w.to)))
    .orderBy(sql`${l.time} desc`).limit(TTFT_SAMPLE)
  const values = rows.filter(r => r.ok && r.v !== null).map(r => Number(r.v)).sort((a, b) => a - b)
  const at = (p: number) => (values.length ? values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)]! : null)
  return { p50: at(0.5), p95: at(0.95), samples: values.length }
}

/** The current window of a range and the one before it, aligned as the source needs. */
export function windows(range: StatsRange, now: number): { current: Window; previous: Window; hourly: boolean } {
  const span = SPANS[range]
  if (range === '1h') return { current: { from: now - span, to: now + 1 }, previous: { from: now - 2 * span, to: now - span }, hourly: false }
  // Whole hours: the current one (still filling) and the span's other hours back from it.
  const end = hourOf(now) + HOUR
  return { current: { from: end - span, to: end }, previous: { from: end - 2 * span, to: end - span }, hourly: true }
}
