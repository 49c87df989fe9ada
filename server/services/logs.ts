import { and, between, count, desc, eq, getTableColumns, gte, lt, lte, not, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Page } from '../../shared/schemas/common'
import { LOG_TOTAL_CAP, type LogFilter, type LogListQuery, type StatusClass } from '../../shared/schemas/logs'
import type { RequestLogRow } from '../../shared/types/rows'
import { access, contains } from './dbAccess'
import { notFound } from './errors'

export type LogSummary = Omit<RequestLogRow, 'requestBody' | 'responseBody'>
/** The contract's `{items,total}`, with `total` capped (see LogListQuerySchema) and the cursor of the next page. */
export type LogPage = Page<LogSummary> & { totalExact: boolean; nextCursor: string | null }

function statusClassWhere(handle: Db, c: StatusClass): SQL | undefined {
  const l = access(handle).t.requestLogs
  if (c === 'other') return not(between(l.status, 200, 599))
  const base = Number(c[0]) * 100
  return between(l.status, base, base + 99)
}

function filterWhere(handle: Db, f: LogFilter): SQL | undefined {
  const { t } = access(handle)
  const l = t.requestLogs
  return and(
    f.groupId !== undefined ? or(eq(l.groupId, f.groupId), eq(l.parentGroupId, f.groupId)) : undefined,
    f.model ? or(eq(l.model, f.model), eq(l.upstreamModel, f.model)) : undefined,
    f.keyId !== undefined ? eq(l.keyId, f.keyId) : undefined,
    f.proxyKeyId !== undefined ? eq(l.proxyKeyId, f.proxyKeyId) : undefined,
    f.status !== undefined ? eq(l.status, f.status) : undefined,
    f.success !== undefined ? eq(l.success, f.success) : undefined,
    f.type ? eq(l.type, f.type) : undefined,
    f.ip ? eq(l.ip, f.ip) : undefined,
    f.requestId ? eq(l.requestId, f.requestId) : undefined,
    f.statusClass ? statusClassWhere(handle, f.statusClass) : undefined,
    f.stream !== undefined ? eq(l.stream, f.stream) : undefined,
    f.q?.trim() ? contains(handle, l.error, f.q.trim()) : undefined,
    f.from !== undefined ? gte(l.time, f.from) : undefined,
    f.to !== undefined ? lte(l.time, f.to) : undefined,
  )
}

/** Lists never carry bodies (they can be large); `GET /api/logs/{id}` does. */
function summaryColumns(handle: Db) {
  const { requestBody: _q, responseBody: _r, ...cols } = getTableColumns(access(handle).t.requestLogs)
  return cols
}

/** Rows older than the cursor's: `time <= t` keeps the time index usable, the `or` breaks ties by id. */
function olderThan(handle: Db, cursor: { time: number; id: string } | null): SQL | undefined {
  if (!cursor) return undefined
  const l = access(handle).t.requestLogs
  return and(lte(l.time, cursor.time), or(lt(l.time, cursor.time), lt(l.id, cursor.id)))
}

const parseCursor = (c: string | undefined) => {
  if (!c) return null
  const at = c.indexOf(':')
  return { time: Number(c.slice(0, at)), id: c.slice(at + 1) }
}

/**
 * `GET /api/logs`, newest first. A cursor pages through the time index at the same cost on page
 * 1 and page 20,000; `total` stops counting at LOG_TOTAL_CAP, because an exact COUNT(*) over
 * millions of rows would cost more than the page itself.
 */
export async function listLogs(handle: Db, q: LogListQuery): Promise<LogPage> {
  const { db, t } = access(handle)
  const l = t.requestLogs
  const where = filterWhere(handle, q)
  const cursor = parseCursor(q.cursor)
  const rows = await db.select(summaryColumns(handle)).from(l).where(and(where, olderThan(handle, cursor)))
    .orderBy(desc(l.time), desc(l.id)).limit(q.pageSize).offset(cursor ? 0 : (q.page - 1) * q.pageSize) as LogSummary[]
  const capped = db.select({ one: sql`1` }).from(l).where(where).limit(LOG_TOTAL_CAP + 1).as('capped')
  const counted = Number((await db.select({ n: count() }).from(capped))[0]!.n)
  const last = rows.length === q.pageSize ? rows[rows.length - 1] : undefined
  return {
    items: rows,
    total: Math.min(counted, LOG_TOTAL_CAP),
    totalExact: counted <= LOG_TOTAL_CAP,
    nextCursor: last ? `${last.time}:${last.id}` : null,
  }
}

export async function getLog(handle: Db, id: string): Promise<RequestLogRow> {
  const { db, t } = access(handle)
  const row = (await db.select().from(t.requestLogs).where(eq(t.requestLogs.id, id)).limit(1))[0]
  if (!row) throw notFound(`log ${id}`)
  return row
}

const CSV_COLUMNS: (keyof LogSummary)[] = ['id', 'requestId', 'time', 'groupId', 'groupName', 'parentGroupId', 'keyId', 'keyMasked', 'proxyKeyId', 'model', 'upstreamModel',
  'path', 'upstream', 'status', 'success', 'type', 'stream', 'durationMs', 'ttftMs', 'promptTokens', 'completionTokens', 'cachedTokens', 'cost',
  'clientApi', 'channelApi', 'error', 'ip', 'userAgent']

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  let s = String(v)
  // A leading =, +, - or @ would run as a formula in a spreadsheet.
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** `GET /api/logs/export`: CSV, newest first, read in pages by (time, id) so memory stays flat. */
export async function* exportLogsCsv(handle: Db, f: LogFilter, batch = 2000): AsyncGenerator<string> {
  const { db, t } = access(handle)
  const l = t.requestLogs
  yield CSV_COLUMNS.join(',') + '\n'
  let cursor: { time: number; id: string } | null = null
  for (;;) {
    const rows = await db.select(summaryColumns(handle)).from(l).where(and(filterWhere(handle, f), olderThan(handle, cursor)))
      .orderBy(desc(l.time), desc(l.id)).limit(batch) as LogSummary[]
    if (!rows.length) return
    const last = rows[rows.length - 1]!
    cursor = { time: last.time, id: last.id }
    yield rows.map(r => CSV_COLUMNS.map(c => csvCell(c === 'time' ? new Date(r.time).toISOString() : r[c])).join(',')).join('\n') + '\n'
  }
}
