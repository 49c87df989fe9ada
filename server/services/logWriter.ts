import type { Pool, PoolConnection } from 'mysql2/promise'
import type { Db } from '../../db/client'
import type { RequestLogEntry } from '../proxy/ports'

/**
 * Writes one batch of request log records in one transaction: the rows themselves, the hourly
 * stats (group × model × hour) and the per-key counters, so the dashboard's numbers always agree
 * with the log. Plain SQL on the drivers rather than the query builder: this runs every second
 * under full load, and on SQLite it runs on the event loop, so it uses cached prepared statements.
 */

const HOUR_MS = 3_600_000
/** MySQL TEXT holds 65,535 bytes; keep bodies well under that whatever their characters. */
const MAX_BODY_BYTES = 60_000
const MAX_ERROR_CHARS = 4000
const TRUNCATED = '…[truncated]'

const COLUMNS = ['id', 'time', 'group_id', 'group_name', 'parent_group_id', 'key_id', 'key_masked', 'proxy_key_id', 'model',
  'upstream_model', 'path', 'upstream', 'status', 'success', 'type', 'stream', 'duration_ms', 'ttft_ms', 'prompt_tokens',
  'completion_tokens', 'cached_tokens', 'error', 'ip', 'user_agent', 'request_body', 'response_body', 'request_id', 'cost', 'client_api',
  'channel_api']

function cut(s: string, max: number): string { return s.length > max ? s.slice(0, max) : s }

function cutBody(s: string | null): string | null {
  if (s === null || s.length * 3 <= MAX_BODY_BYTES) return s
  const b = Buffer.from(s)
  if (b.length <= MAX_BODY_BYTES) return s
  // A split multi-byte character decodes to U+FFFD (3 bytes): still under the column's limit.
  return b.subarray(0, MAX_BODY_BYTES - 20).toString() + TRUNCATED
}

const int = (n: number) => Math.max(0, Math.round(n) || 0)
/** USD: never negative, never NaN. */
const money = (n: number) => (n > 0 && Number.isFinite(n) ? n : 0)

/** A record as column values, cut to the columns' sizes (MySQL's strict mode rejects longer ones). */
function toValues(r: RequestLogEntry, id: string): unknown[] {
  return [
    id, r.time, r.groupId, cut(r.groupName, 100), r.parentGroupId, r.keyId, cut(r.keyMasked, 64), r.proxyKeyId,
    cut(r.model, 255), cut(r.upstreamModel, 255), cut(r.path, 1000), cut(r.upstream, 500), Math.round(r.status) || 0,
    r.success ? 1 : 0, r.type, r.stream ? 1 : 0, int(r.durationMs), r.ttftMs === null ? null : int(r.ttftMs),
    int(r.promptTokens), int(r.completionTokens), int(r.cachedTokens),
    r.error === null ? null : cut(r.error, MAX_ERROR_CHARS), cut(r.ip, 64), cut(r.userAgent, 500),
    cutBody(r.requestBody), cutBody(r.responseBody), cut(r.requestId, 32), money(r.cost), cut(r.clientApi, 32), cut(r.channelApi, 32),
  ]
}

type HourlyDelta = [
  groupId: number, model: string, hour: number,
  requests: number, failures: number, prompt: number, completion: number, cached: number, cost: number,
]
type KeyDelta = [requests: number, failures: number, lastUsedAt: number]

/**
 * Sums a batch into hourly stats and key counters. A request counts once, on its `final` record;
 * every attempt on a key counts for that key, and a failed attempt counts as the key's failure
 * unless the client went away (499), which never blames a key.
 */
export function aggregate(records: RequestLogEntry[]) {
  const hourly = new Map<string, HourlyDelta>()
  const keys = new Map<number, KeyDelta>()
  for (const r of records) {
    if (r.groupId !== null) {
      const hour = r.time - (r.time % HOUR_MS)
      const model = cut(r.model, 255)
      const k = `${r.groupId}\u0000${hour}\u0000${model}`
      let h = hourly.get(k)
      if (!h) hourly.set(k, h = [r.groupId, model, hour, 0, 0, 0, 0, 0, 0])
      if (r.type === 'final') {
        h[3]++
        if (!r.success) h[4]++
      }
      h[5] += int(r.promptTokens)
      h[6] += int(r.completionTokens)
      h[7] += int(r.cachedTokens)
      h[8] += money(r.cost)
    }
    if (r.keyId !== null) {
      let d = keys.get(r.keyId)
      if (!d) keys.set(r.keyId, d = [0, 0, 0])
      d[0]++
      if (!r.success && r.status !== 499) d[1]++
      if (r.time > d[2]) d[2] = r.time
    }
  }
  // One lock order for every instance: concurrent batches on MySQL then wait instead of deadlocking.
  const byHourlyKey = (a: HourlyDelta, b: HourlyDelta) => a[0] - b[0] || a[2] - b[2] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
  return { hourly: [...hourly.values()].sort(byHourlyKey), keys: [...keys.entries()].sort((a, b) => a[0] - b[0]) }
}

function prepareSqlite(raw: Extract<Db, { dialect: 'sqlite' }>['raw']) {
  const insertLog = raw.prepare(`INSERT INTO request_logs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`)
  const upsertHourly = raw.prepare(`INSERT INTO hourly_stats (group_id, model, hour, requests, failures, prompt_tokens, completion_tokens, cached_tokens,
      cost)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (group_id, model, hour) DO UPDATE SET requests = requests + excluded.requests, failures = failures + excluded.failures,
      prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
      cached_tokens = cached_tokens + excluded.cached_tokens, cost = cost + excluded.cost`)
  const bumpKey = raw.prepare(`UPDATE api_keys SET request_count = request_count + ?, failure_count = failure_count + ?,
    last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`)
  const write = raw.transaction((records: RequestLogEntry[], ids: string[]) => {
    for (let i = 0; i < records.length; i++) insertLog.run(toValues(records[i]!, ids[i]!))
    const { hourly, keys } = aggregate(records)
    for (const h of hourly) upsertHourly.run(h)
    for (const [id, [n, f, t]] of keys) bumpKey.run(n, f, t, id)
  })
  return { write }
}

/** Rows per multi-row statement on MySQL (30 placeholders a row, well under the 65,535 limit). */
const MYSQL_ROWS_PER_STATEMENT = 500

async function writeMysql(pool: Pool, records: RequestLogEntry[], ids: string[]) {
  const { hourly, keys } = aggregate(records)
  const conn: PoolConnection = await pool.getConnection()
  try {
    await conn.beginTransaction()
    for (let i = 0; i < records.length; i += MYSQL_ROWS_PER_STATEMENT) {
      const rows = records.slice(i, i + MYSQL_ROWS_PER_STATEMENT).map((r, j) => toValues(r, ids[i + j]!))
      await conn.query(`INSERT INTO request_logs (${COLUMNS.join(', ')}) VALUES ?`, [rows])
    }
    for (let i = 0; i < hourly.length; i += MYSQL_ROWS_PER_STATEMENT) {
      await conn.query(`INSERT INTO hourly_stats (group_id, model, hour, requests, failures, prompt_tokens, completion_tokens, cached_tokens, cost)
        VALUES ? ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), failures = failures + VALUES(failures),
          prompt_tokens = prompt_tokens + VALUES(prompt_tokens), completion_tokens = completion_tokens + VALUES(completion_tokens),
          cached_tokens = cached_tokens + VALUES(cached_tokens), cost = cost + VALUES(cost)`, [hourly.slice(i, i + MYSQL_ROWS_PER_STATEMENT)])
    }
    for (let i = 0; i < keys.length; i += MYSQL_ROWS_PER_STATEMENT) {
      const part = keys.slice(i, i + MYSQL_ROWS_PER_STATEMENT)
      // One statement for many keys: join against the deltas as a derived table.
      const derived = part.map(() => 'SELECT ? AS id, ? AS n, ? AS f, ? AS t').join(' UNION ALL ')
      await conn.query(`UPDATE api_keys k JOIN (${derived}) d ON k.id = d.id
        SET k.request_count = k.request_count + d.n, k.failure_count = k.failure_count + d.f,
          k.last_used_at = GREATEST(COALESCE(k.last_used_at, 0), d.t)`, part.flatMap(([id, [n, f, t]]) => [id, n, f, t]))
    }
    await conn.commit()
  } catch (err) {
    await conn.rollback().catch(() => {})
    throw err
  } finally {
    conn.release()
  }
}

export type LogBatchWriter = (records: RequestLogEntry[], ids: string[]) => Promise<void>

/**
 * A writer of record batches for one database: `write(records, ids)` (same order) in one
 * transaction; throws when the database refuses the batch. The ids travel beside the records so
 * a batch never copies them. On SQLite the statements are prepared once, on first use.
 */
export function createLogBatchWriter(handle: Db): LogBatchWriter {
  if (handle.dialect === 'sqlite') {
    let statements: ReturnType<typeof prepareSqlite> | undefined
    return async (records, ids) => {
      if (!records.length) return
      ;(statements ??= prepareSqlite(handle.raw)).write(records, ids)
    }
  }
  return async (records, ids) => {
    if (records.length) await writeMysql(handle.pool, records, ids)
  }
}
