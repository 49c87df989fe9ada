import { and, count, desc, eq, getTableColumns, gte, lt, lte, or, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Page } from '../../shared/schemas/common'
import type { LogFilter, LogListQuery } from '../../shared/schemas/logs'
import type { RequestLogRow } from '../../shared/types/rows'
import { access, contains } from './dbAccess'
import { notFound } from './errors'

export type LogSummary = Omit<RequestLogRow, 'requestBody' | 'responseBody'>

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

export async function listLogs(handle: Db, q: LogListQuery): Promise<Page<LogSummary>> {
  const { db, t } = access(handle)
  const where = filterWhere(handle, q)
  const rows = await db.select(summaryColumns(handle)).from(t.requestLogs).where(where)
    .orderBy(desc(t.requestLogs.time), desc(t.requestLogs.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize)
  const total = (await db.select({ n: count() }).from(t.requestLogs).where(where))[0]!.n
  return { items: rows as LogSummary[], total: Number(total) }
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

export function csvCell(v: unknown): string {
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
    const after: SQL | undefined = cursor ? or(lt(l.time, cursor.time), and(eq(l.time, cursor.time), lt(l.id, cursor.id))) : undefined
    const rows = await db.select(summaryColumns(handle)).from(l).where(and(filterWhere(handle, f), after))
      .orderBy(desc(l.time), desc(l.id)).limit(batch) as LogSummary[]
    if (!rows.length) return
    const last = rows[rows.length - 1]!
    cursor = { time: last.time, id: last.id }
    yield rows.map(r => CSV_COLUMNS.map(c => csvCell(c === 'time' ? new Date(r.time).toISOString() : r[c])).join(',')).join('\n') + '\n'
  }
}
