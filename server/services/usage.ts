import { and, gte, inArray, lt } from 'drizzle-orm'
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import type { UsageQuery, UsageReport, UsageRow } from '../../shared/schemas/usage'
import { periodWindow } from '../proxy/limits/periods'
import { PriceTable } from '../proxy/limits/prices'
import { access } from './dbAccess'
import { csvCell } from './logs'
import { usageSums } from './statsWindows'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const DEFAULT_SPAN = 30 * DAY

type Sums = Omit<UsageRow, 'key' | 'name' | 'unpriced'>
const zero = (): Sums => ({ requests: 0, failures: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, cost: 0 })
const numbers = (r: Record<string, unknown>): Sums => ({
  requests: Number(r.requests ?? 0), failures: Number(r.failures ?? 0), promptTokens: Number(r.promptTokens ?? 0),
  completionTokens: Number(r.completionTokens ?? 0), cachedTokens: Number(r.cachedTokens ?? 0), cost: Number(r.cost ?? 0),
})
function add(a: Sums, b: Sums) {
  a.requests += b.requests; a.failures += b.failures; a.promptTokens += b.promptTokens
  a.completionTokens += b.completionTokens; a.cachedTokens += b.cachedTokens; a.cost += b.cost
}

/** `YYYY-MM-DD` of the local day that starts at `start` in `tz`. */
function dayLabel(start: number, tz: string): string {
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(start + HOUR)
  return p
}

/**
 * `GET /api/usage`: totals per proxy key, group, model or day, from the hourly rollups (kept for
 * good, whatever the log's retention). Hours are their unit: `from` and `to` are rounded to
 * whole hours, and a day in a zone with a half-hour offset takes the hours that start in it.
 */
export async function usageReport(handle: Db, q: UsageQuery, timeZone: string, now = Date.now()): Promise<UsageReport> {
  const to = q.to ?? now
  const from = q.from ?? to - DEFAULT_SPAN
  const { db, t } = access(handle)
  // Hours are the rollups' unit: the hour `from` falls in counts whole.
  const inHours = (s: { hour: AnySQLiteColumn }) => and(gte(s.hour, Math.floor(from / HOUR) * HOUR), lt(s.hour, to))
  let items: UsageRow[]
  if (q.groupBy === 'proxyKey') {
    const p = t.proxyKeyStats
    const rows = (await db.select({ id: p.proxyKeyId, ...usageSums(p) }).from(p).where(inHours(p)).groupBy(p.proxyKeyId))
      .map(r => ({ ...r, id: r.id === 0 ? null : r.id }))
    const ids = rows.map(r => r.id).filter((id): id is number => id !== null)
    const k = t.proxyKeys
    const found = ids.length ? await db.select({ id: k.id, name: k.name }).from(k).where(inArray(k.id, ids)) : []
    const names = new Map(found.map(r => [r.id, r.name]))
    items = rows.map(r => ({ key: r.id === null ? '' : String(r.id), name: r.id === null ? '(no proxy key)' : names.get(r.id) ?? `(deleted key ${r.id})`, ...numbers(r) }))
  } else {
    const h = t.hourlyStats
    const by = q.groupBy === 'group' ? h.groupId : q.groupBy === 'model' ? h.model : h.hour
    const rows = await db.select({ k: by, ...usageSums(h) }).from(h).where(inHours(h)).groupBy(by)
    if (q.groupBy === 'group') {
      const ids = rows.map(r => Number(r.k))
      const g = t.groups
      const found = ids.length ? await db.select({ id: g.id, name: g.name }).from(g).where(inArray(g.id, ids)) : []
      const names = new Map(found.map(r => [r.id, r.name]))
      items = rows.map(r => ({ key: String(r.k), name: names.get(Number(r.k)) ?? `(deleted group ${r.k})`, ...numbers(r) }))
    } else if (q.groupBy === 'model') {
      const prices = new PriceTable(await db.select().from(t.modelPrices))
      items = rows.map(r => ({ key: String(r.k), name: String(r.k), ...numbers(r), unpriced: !prices.lookup(String(r.k)) }))
    } else {
      const days = new Map<number, Sums>()
      for (const r of rows) {
        const start = periodWindow('day', timeZone, Number(r.k)).start
        let d = days.get(start)
        if (!d) days.set(start, d = zero())
        add(d, numbers(r))
      }
      items = [...days.entries()].sort((a, b) => a[0] - b[0])
        .map(([start, s]) => ({ key: dayLabel(start, timeZone), name: dayLabel(start, timeZone), ...s }))
    }
  }
  if (q.groupBy !== 'day') items.sort((a, b) => b.cost - a.cost || b.requests - a.requests || (a.key < b.key ? -1 : 1))
  const total = zero()
  for (const r of items) add(total, r)
  return { groupBy: q.groupBy, from, to, timeZone, currency: 'USD', items, total }
}

const CSV_HEADER = ['key', 'name', 'requests', 'failures', 'promptTokens', 'completionTokens', 'cachedTokens', 'cost', 'unpriced'] as const

export function usageCsv(r: UsageReport): string {
  const lines = [CSV_HEADER.join(',')]
  for (const row of r.items) lines.push(CSV_HEADER.map(c => csvCell(row[c] ?? '')).join(','))
  return lines.join('\n') + '\n'
}
