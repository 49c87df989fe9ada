import type { Pool, PoolConnection } from 'mysql2/promise'
import type { Db } from '../../db/client'
import type { RequestLogEntry } from '../proxy/ports'

/**
 * Writes one batch of request log records in one transaction: the rows themselves, the rollups
 * (hourly_stats: group × model × hour; proxy_key_stats: proxy key × hour; minute_stats:
 * group × model × proxy key × minute, kept MINUTE_STATS_KEEP_MS) and the per-key counters, so
 * the dashboard reads sums that always agree with the log instead of scanning it. Plain SQL on
 * the drivers rather than the query builder: this runs every second under full load, and on
 * SQLite it runs on the event loop, so it uses cached prepared statements.
 */

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** The dashboard's last hour, and the hour before it for the trend, with a margin. */
export const MINUTE_STATS_KEEP_MS = 3 * HOUR_MS
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

/** requests, failures, retries, prompt, completion, cached tokens, cost: the columns every rollup sums. */
type Sums = [number, number, number, number, number, number, number]
type HourlyDelta = [groupId: number, model: string, hour: number, ...Sums]
type ProxyKeyDelta = [proxyKeyId: number, hour: number, ...Sums]
type MinuteDelta = [groupId: number, model: string, proxyKeyId: number, minute: number, ...Sums]
type KeyDelta = [requests: number, failures: number, lastUsedAt: number]

/** Adds one record to a rollup row whose sums start at `at`. */
function addTo(row: unknown[], at: number, r: RequestLogEntry) {
  const v = row as number[]
  if (r.type === 'final') {
    v[at]!++
    if (!r.success) v[at + 1]!++
  } else v[at + 2]!++
  v[at + 3]! += int(r.promptTokens)
  v[at + 4]! += int(r.completionTokens)
  v[at + 5]! += int(r.cachedTokens)
  v[at + 6]! += money(r.cost)
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Sums a batch into the rollups and key counters. A request counts once, on its `final` record
 * (an attempt retried on another key counts as a retry); every attempt on a key counts for that
 * key, and a failed attempt counts as the key's failure unless the client went away (499), which
 * never blames a key. Group and proxy key 0 stand for none.
 */
export function aggregate(records: RequestLogEntry[]) {
  const hourly = new Map<string, HourlyDelta>()
  const proxyKeys = new Map<string, ProxyKeyDelta>()
  const minutes = new Map<string, MinuteDelta>()
  const keys = new Map<number, KeyDelta>()
  for (const r of records) {
    const hour = r.time - (r.time % HOUR_MS)
    const minute = r.time - (r.time % MINUTE_MS)
    const model = cut(r.model, 255)
    const groupId = r.groupId ?? 0
    const proxyKeyId = r.proxyKeyId ?? 0
    if (r.groupId !== null) {
      const k = `${groupId}\u0000${hour}\u0000${model}`
      let h = hourly.get(k)
      if (!h) hourly.set(k, h = [groupId, model, hour, 0, 0, 0, 0, 0, 0, 0])
      addTo(h, 3, r)
    }
    const pk = `${proxyKeyId}\u0000${hour}`
    let p = proxyKeys.get(pk)
    if (!p) proxyKeys.set(pk, p = [proxyKeyId, hour, 0, 0, 0, 0, 0, 0, 0])
    addTo(p, 2, r)
    const mk = `${groupId}\u0000${minute}\u0000${proxyKeyId}\u0000${model}`
    let m = minutes.get(mk)
    if (!m) minutes.set(mk, m = [groupId, model, proxyKeyId, minute, 0, 0, 0, 0, 0, 0, 0])
    addTo(m, 4, r)
    if (r.keyId !== null) {
      let d = keys.get(r.keyId)
      if (!d) keys.set(r.keyId, d = [0, 0, 0])
      d[0]++
      if (!r.success && r.status !== 499) d[1]++
      if (r.time > d[2]) d[2] = r.time
    }
  }
  // One lock order for every instance: concurrent batches on MySQL then wait instead of deadlocking.
  const byHourlyKey = (a: HourlyDelta, b: HourlyDelta) => a[0] - b[0] || byText(a[1], b[1]) || a[2] - b[2]
  const byProxyKey = (a: ProxyKeyDelta, b: ProxyKeyDelta) => a[0] - b[0] || a[1] - b[1]
  const byMinuteKey = (a: MinuteDelta, b: MinuteDelta) => a[0] - b[0] || byText(a[1], b[1]) || a[2] - b[2] || a[3] - b[3]
  return {
    hourly: [...hourly.values()].sort(byHourlyKey),
    proxyKeys: [...proxyKeys.values()].sort(byProxyKey),
    minutes: [...minutes.values()].sort(byMinuteKey),
    keys: [...keys.entries()].sort((a, b) => a[0] - b[0]),
  }
}

const SUM_COLUMNS = ['requests', 'failures', 'retries', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'cost']
const ROLLUPS = {
  hourly: { table: 'hourly_stats', keys: ['group_id', 'model', 'hour'] },
  proxyKeys: { table: 'proxy_key_stats', keys: ['proxy_key_id', 'hour'] },
  minutes: { table: 'minute_stats', keys: ['group_id', 'model', 'proxy_key_id', 'minute'] },
} as const
type Rollup = keyof typeof ROLLUPS

/** `INSERT … (keys, sums)` whose conflict adds the sums; `values` is `VALUES (?, …)` (SQLite) or `VALUES ?` (MySQL). */
function upsertSql(rollup: Rollup, dialect: 'sqlite' | 'mysql'): string {
  const { table, keys } = ROLLUPS[rollup]
  const columns = [...keys, ...SUM_COLUMNS]
  if (dialect === 'sqlite') {
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
      ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${SUM_COLUMNS.map(c => `${c} = ${c} + excluded.${c}`).join(', ')}`
  }
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ?
    ON DUPLICATE KEY UPDATE ${SUM_COLUMNS.map(c => `${c} = ${c} + VALUES(${c})`).join(', ')}`
}

const MYSQL_UPSERT = Object.fromEntries((Object.keys(ROLLUPS) as Rollup[]).map(name => [name, upsertSql(name, 'mysql')])) as Record<Rollup, string>

/** minute_stats rows past MINUTE_STATS_KEEP_MS go once a minute, with the batch that starts a new minute. */
function pruneCutoff(state: { prunedMinute: number }, now = Date.now()): number | null {
  const minute = now - (now % MINUTE_MS)
  if (minute === state.prunedMinute) return null
  state.prunedMinute = minute
  return minute - MINUTE_STATS_KEEP_MS
}

function prepareSqlite(raw: Extract<Db, { dialect: 'sqlite' }>['raw']) {
  const insertLog = raw.prepare(`INSERT INTO request_logs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`)
  const upsert = { hourly: raw.prepare(upsertSql('hourly', 'sqlite')), proxyKeys: raw.prepare(upsertSql('proxyKeys', 'sqlite')), minutes: raw.prepare(upsertSql('minutes', 'sqlite')) }
  const pruneMinutes = raw.prepare('DELETE FROM minute_stats WHERE minute < ?')
  const bumpKey = raw.prepare(`UPDATE api_keys SET request_count = request_count + ?, failure_count = failure_count + ?,
    last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`)
  const state = { prunedMinute: 0 }
  const write = raw.transaction((records: RequestLogEntry[], ids: string[]) => {
    for (let i = 0; i < records.length; i++) insertLog.run(toValues(records[i]!, ids[i]!))
    const { keys, ...rollups } = aggregate(records)
    for (const name of Object.keys(upsert) as Rollup[]) for (const row of rollups[name]) upsert[name].run(row)
    for (const [id, [n, f, t]] of keys) bumpKey.run(n, f, t, id)
    const cutoff = pruneCutoff(state)
    if (cutoff !== null) pruneMinutes.run(cutoff)
  })
  return { write }
}

/** Rows per multi-row statement on MySQL (30 placeholders a row, well under the 65,535 limit). */
const MYSQL_ROWS_PER_STATEMENT = 500

async function writeMysql(pool: Pool, state: { prunedMinute: number }, records: RequestLogEntry[], ids: string[]) {
  const { keys, ...rollups } = aggregate(records)
  const conn: PoolConnection = await pool.getConnection()
  try {
    await conn.beginTransaction()
    for (let i = 0; i < records.length; i += MYSQL_ROWS_PER_STATEMENT) {
      const rows = records.slice(i, i + MYSQL_ROWS_PER_STATEMENT).map((r, j) => toValues(r, ids[i + j]!))
      await conn.query(`INSERT INTO request_logs (${COLUMNS.join(', ')}) VALUES ?`, [rows])
    }
    for (const name of Object.keys(ROLLUPS) as Rollup[]) {
      const rows = rollups[name]
      for (let i = 0; i < rows.length; i += MYSQL_ROWS_PER_STATEMENT) {
        await conn.query(MYSQL_UPSERT[name], [rows.slice(i, i + MYSQL_ROWS_PER_STATEMENT)])
      }
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
    // Outside the batch's transaction: old rows only, so no lock is shared with the upserts.
    const cutoff = pruneCutoff(state)
    if (cutoff !== null) await conn.query('DELETE FROM minute_stats WHERE minute < ?', [cutoff])
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
  const state = { prunedMinute: 0 }
  return async (records, ids) => {
    if (records.length) await writeMysql(handle.pool, state, records, ids)
  }
}
