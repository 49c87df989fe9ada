import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openDb, runMigrations, type Db } from '../../db/client'
import { deleteRequestLogsBefore } from '../../server/services/logRetention'
import { createMetrics } from '../../server/services/metrics'
import { RequestLogBuffer, RequestLogWriter, type RequestLogEntry } from '../../server/services/requestLog'
import { backfillRollups } from '../support/backends'
import { skipReason, testEnv } from '../support/env'

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0)
const silent = pino({ level: 'silent' })
const metrics = createMetrics()

function entry(over: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    time: T0 + 1000, groupId: 1, groupName: 'alpha', parentGroupId: null, keyId: 1, keyMasked: 'sk-ab…wxyz', proxyKeyId: null,
    model: 'gpt-4o', upstreamModel: 'gpt-4o-2024-08-06', path: '/v1/chat/completions', upstream: 'https://api.example.com',
    status: 200, success: true, type: 'final', stream: false, durationMs: 120, ttftMs: null, promptTokens: 10, completionTokens: 5,
    cachedTokens: 2, error: null, ip: '127.0.0.1', userAgent: 'test', requestBody: null, responseBody: null,
    requestId: 'r1', cost: 0, clientApi: 'openai', channelApi: 'openai', ...over,
  }
}

async function query<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  if (db.dialect === 'sqlite') return db.raw.prepare(sql).all(...params) as T[]
  const [rows] = await db.pool.query(sql, params)
  return rows as T[]
}

async function exec(db: Db, sql: string) {
  if (db.dialect === 'sqlite') db.raw.exec(sql)
  else await db.pool.query(sql)
}

/** `another` opens a second handle on the same database, as a second instance would. */
type Target = { name: string; skip: boolean; open: () => Promise<{ db: Db; another: () => Promise<Db>; cleanup: () => Promise<void> }> }

const targets: Target[] = [
  {
    name: 'SQLite',
    skip: false,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'keygate-reqlog-'))
      const file = join(dir, 'keygate.db')
      const db = await openDb({ dialect: 'sqlite', file })
      return { db, another: () => openDb({ dialect: 'sqlite', file }), cleanup: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }) } }
    },
  },
  {
    name: `MariaDB${testEnv.mysqlUrl ? '' : ` (skipped: ${skipReason.mysql})`}`,
    skip: !testEnv.mysqlUrl,
    async open() {
      const name = `keygate_reqlog_${Math.random().toString(36).slice(2, 10)}`
      const admin = await mysql.createConnection(testEnv.mysqlUrl)
      await admin.query(`CREATE DATABASE \`${name}\``)
      const url = new URL(testEnv.mysqlUrl)
      url.pathname = `/${name}`
      const db = await openDb({ dialect: 'mysql', url: url.toString() })
      return {
        db,
        another: () => openDb({ dialect: 'mysql', url: url.toString() }),
        cleanup: async () => {
          await db.close()
          await admin.query(`DROP DATABASE \`${name}\``)
          await admin.end()
        },
      }
    },
  },
]

for (const target of targets) {
  describe.skipIf(target.skip)(`request log writer on ${target.name}`, () => {
    let db: Db
    let another: () => Promise<Db>
    let cleanup: () => Promise<void>

    beforeAll(async () => {
      ({ db, another, cleanup } = await target.open())
      await runMigrations(db)
    })
    afterAll(async () => { await cleanup?.() })

    beforeEach(async () => {
      await exec(db, 'DELETE FROM request_logs')
      await exec(db, 'DELETE FROM hourly_stats')
      await exec(db, 'DELETE FROM proxy_key_stats')
      await exec(db, 'DELETE FROM minute_stats')
      await exec(db, 'DELETE FROM api_keys')
      await exec(db, 'DELETE FROM `groups`')
      await exec(db, `INSERT INTO \`groups\` (id, name, channel, upstreams, models, model_redirects, param_overrides, header_rules, config, created_at, updated_at)
        VALUES (1, 'alpha', 'openai', '[]', '[]', '{}', '{}', '[]', '{}', 0, 0)`)
      for (const id of [1, 2, 3]) {
        await exec(db, `INSERT INTO api_keys (id, group_id, key_hash, key_ciphertext, created_at, updated_at) VALUES (${id}, 1, 'h${id}', 'c${id}', 0, 0)`)
      }
    })

    function writerWith(buffer: RequestLogBuffer) { return new RequestLogWriter({ db, log: silent, buffer, metrics }) }

    it('writes every field of every record, with unique time-sortable ids', async () => {
      const buffer = new RequestLogBuffer()
      const long = 'é'.repeat(50_000) // 100 KB of UTF-8: more than a MySQL TEXT column holds
      buffer.add(entry({ time: T0 + 2, stream: true, ttftMs: 35, success: false, status: 429, type: 'retry', error: 'rate limited', requestBody: '{"model":"gpt-4o"}', responseBody: long, userAgent: 'u'.repeat(900),
        requestId: 'req-1', cost: 0.0125, clientApi: 'openai', channelApi: 'anthropic' }))
      buffer.add(entry({ time: T0 + 1, keyId: null, groupId: null, groupName: '', model: '' }))
      for (let i = 0; i < 600; i++) buffer.add(entry({ time: T0 + 10 + i }))
      await writerWith(buffer).flush()

      const rows = await query<any>(db, 'SELECT * FROM request_logs ORDER BY id')
      expect(rows).toHaveLength(602)
      expect(new Set(rows.map(r => r.id)).size).toBe(602)
      expect(rows.every(r => r.id.length <= 32)).toBe(true)
      expect(rows.map(r => Number(r.time))).toEqual([...rows.map(r => Number(r.time))].sort((a, b) => a - b))
      const first = rows[0]
      expect(first.group_id).toBeNull()
      const r = rows[1]
      const got = {
        status: r.status, success: Number(r.success), type: r.type, stream: Number(r.stream), ttft: r.ttft_ms, error: r.error,
        req: r.request_body, path: r.path, masked: r.key_masked,
        requestId: r.request_id, cost: Number(r.cost), apis: [r.client_api, r.channel_api],
      }
      expect(got).toEqual({
        status: 429, success: 0, type: 'retry', stream: 1, ttft: 35, error: 'rate limited', req: '{"model":"gpt-4o"}',
        path: '/v1/chat/completions', masked: 'sk-ab…wxyz', requestId: 'req-1', cost: 0.0125, apis: ['openai', 'anthropic'],
      })
      expect(Buffer.byteLength(r.response_body)).toBeLessThanOrEqual(60_000)
      expect(r.response_body.startsWith('ééé')).toBe(true)
      expect(r.response_body.endsWith('[truncated]')).toBe(true)
      expect(r.user_agent).toHaveLength(500)
    })

    it('sums hourly stats per group, model and hour, counting only final records as requests, and adds to them on later flushes', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      buffer.add(entry({ type: 'retry', success: false, status: 500, promptTokens: 0, completionTokens: 0, cachedTokens: 0 }))
      buffer.add(entry({ promptTokens: 100, completionTokens: 50, cachedTokens: 20, cost: 0.5 }))
      buffer.add(entry({ success: false, status: 503, promptTokens: 0, completionTokens: 0, cachedTokens: 0, keyId: 2 }))
      buffer.add(entry({ model: 'gpt-4o-mini', promptTokens: 7, completionTokens: 3, cachedTokens: 0 }))
      buffer.add(entry({ time: T0 + HOUR + 5, promptTokens: 1, completionTokens: 1, cachedTokens: 1 }))
      await w.flush()
      buffer.add(entry({ promptTokens: 1000, completionTokens: 1, cachedTokens: 0, cost: 0.25 }))
      await w.flush()

      const rows = await query<any>(db, 'SELECT group_id, model, hour, requests, failures, prompt_tokens, completion_tokens, cached_tokens, cost FROM hourly_stats ORDER BY hour, model')
      expect(rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'model' ? v : Number(v)])))).toEqual([
        { group_id: 1, model: 'gpt-4o', hour: T0, requests: 3, failures: 1, prompt_tokens: 1100, completion_tokens: 51, cached_tokens: 20, cost: 0.75 },
        { group_id: 1, model: 'gpt-4o-mini', hour: T0, requests: 1, failures: 0, prompt_tokens: 7, completion_tokens: 3, cached_tokens: 0, cost: 0 },
        { group_id: 1, model: 'gpt-4o', hour: T0 + HOUR, requests: 1, failures: 0, prompt_tokens: 1, completion_tokens: 1, cached_tokens: 1, cost: 0 },
      ])
    })

    it('sums retries, proxy keys by the hour and the last hours by the minute, and prunes minutes older than three hours', async () => {
      const now = Date.now()
      const minute = now - (now % 60_000)
      const hour = now - (now % HOUR)
      const old = minute - 4 * HOUR
      await exec(db, `INSERT INTO minute_stats (group_id, model, proxy_key_id, minute, requests) VALUES (1, 'gpt-4o', 0, ${old}, 9)`)
      const buffer = new RequestLogBuffer()
      buffer.add(entry({ time: now, type: 'retry', success: false, status: 429, proxyKeyId: 7, promptTokens: 0, completionTokens: 0, cachedTokens: 0 }))
      buffer.add(entry({ time: now, proxyKeyId: 7, cost: 0.5 }))
      buffer.add(entry({ time: now, proxyKeyId: 8, success: false, status: 503, promptTokens: 0, completionTokens: 0, cachedTokens: 0 }))
      // Refused before any group was chosen: counted for its proxy key, not for a group.
      const refused = { success: false, status: 429, promptTokens: 0, completionTokens: 0, cachedTokens: 0 }
      buffer.add(entry({ time: now, groupId: null, keyId: null, proxyKeyId: 8, ...refused }))
      await writerWith(buffer).flush()

      const num = (rows: any[]) => rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'model' ? v : Number(v)])))
      expect(num(await query(db, 'SELECT group_id, hour, requests, failures, retries FROM hourly_stats'))).toEqual([
        { group_id: 1, hour, requests: 2, failures: 1, retries: 1 },
      ])
      expect(num(await query(db, 'SELECT proxy_key_id, hour, requests, failures, retries, prompt_tokens, cost FROM proxy_key_stats ORDER BY proxy_key_id'))).toEqual([
        { proxy_key_id: 7, hour, requests: 1, failures: 0, retries: 1, prompt_tokens: 10, cost: 0.5 },
        { proxy_key_id: 8, hour, requests: 2, failures: 2, retries: 0, prompt_tokens: 0, cost: 0 },
      ])
      expect(num(await query(db, 'SELECT group_id, model, proxy_key_id, minute, requests, failures, retries FROM minute_stats ORDER BY group_id, proxy_key_id'))).toEqual([
        { group_id: 0, model: 'gpt-4o', proxy_key_id: 8, minute, requests: 1, failures: 1, retries: 0 },
        { group_id: 1, model: 'gpt-4o', proxy_key_id: 7, minute, requests: 1, failures: 0, retries: 1 },
        { group_id: 1, model: 'gpt-4o', proxy_key_id: 8, minute, requests: 1, failures: 1, retries: 0 },
      ])
    })

    it('the upgrade\'s backfill rebuilds from the log the rollups the writer keeps, retries included where no hourly row exists', async () => {
      const now = Date.now()
      const buffer = new RequestLogBuffer()
      buffer.add(entry({ time: now, type: 'retry', success: false, status: 429, proxyKeyId: 7, promptTokens: 0, completionTokens: 0, cachedTokens: 0 }))
      buffer.add(entry({ time: now, proxyKeyId: 7, cost: 0.5 }))
      buffer.add(entry({ time: now - HOUR, model: 'gpt-4o-mini', proxyKeyId: 8, success: false, status: 503 }))
      buffer.add(entry({ time: now - 2 * HOUR, type: 'retry', success: false, status: 429, groupId: 2 }))
      await writerWith(buffer).flush()
      const tables = ['hourly_stats', 'proxy_key_stats', 'minute_stats']
      const snapshot = async () => Promise.all(tables.map(async t => (await query(db, `SELECT * FROM ${t}`))
        .map(({ id: _, ...r }) => JSON.stringify(Object.values(r).map(v => (typeof v === 'string' ? v : Number(v))))).sort()))
      const written = await snapshot()
      // As before the upgrade: no proxy-key or minute rollups, no retries in the hourly stats, and
      // the hour that had only a retry without an hourly row.
      await exec(db, 'DELETE FROM proxy_key_stats')
      await exec(db, 'DELETE FROM minute_stats')
      await exec(db, 'UPDATE hourly_stats SET retries = 0')
      await exec(db, 'DELETE FROM hourly_stats WHERE group_id = 2')
      await backfillRollups({ exec: sql => exec(db, sql) }, db.dialect)
      const [hourlyRows, proxyKeyRows, minuteRows] = await snapshot()
      expect([proxyKeyRows, minuteRows]).toEqual(written.slice(1))
      // The hourly rows it had are whole again; the retry-only hour comes back with its retry (its
      // tokens were the hourly stats' own and are not re-derived).
      const hourly = await query(db, 'SELECT group_id, retries FROM hourly_stats ORDER BY group_id, hour')
      expect(hourly.map(r => [Number(r.group_id), Number(r.retries)])).toEqual([[1, 0], [1, 1], [2, 1]])
      expect(hourlyRows).toHaveLength(written[0]!.length)
    })

    it('counts every attempt on a key, blames failures on it but never client aborts, and keeps the latest use', async () => {
      const buffer = new RequestLogBuffer()
      buffer.add(entry({ keyId: 1, time: T0 + 50 }))
      buffer.add(entry({ keyId: 1, time: T0 + 10, type: 'retry', success: false, status: 401 }))
      buffer.add(entry({ keyId: 1, time: T0 + 30, success: false, status: 499 }))
      buffer.add(entry({ keyId: 2, time: T0 + 70, success: false, status: 502 }))
      buffer.add(entry({ keyId: null, time: T0 + 90, success: false, status: 503 }))
      await writerWith(buffer).flush()
      buffer.add(entry({ keyId: 2, time: T0 + 60 }))
      await writerWith(buffer).flush()

      const keys = await query<any>(db, 'SELECT id, request_count, failure_count, last_used_at FROM api_keys ORDER BY id')
      expect(keys.map(k => [k.id, k.request_count, k.failure_count, k.last_used_at === null ? null : Number(k.last_used_at)])).toEqual([
        [1, 3, 1, T0 + 50],
        [2, 2, 1, T0 + 70],
        [3, 0, 0, null],
      ])
    })

    it('drops and counts records past the buffer capacity, keeping the ones it had', async () => {
      const buffer = new RequestLogBuffer(10)
      const accepted = Array.from({ length: 15 }, (_, i) => buffer.add(entry({ time: T0 + i })))
      expect(accepted.filter(Boolean)).toHaveLength(10)
      expect(buffer.dropped).toBe(5)
      await writerWith(buffer).flush()
      const rows = await query<any>(db, 'SELECT time FROM request_logs ORDER BY time')
      expect(rows.map(r => Number(r.time))).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i))
      expect(buffer.add(entry())).toBe(true)
    })

    it('writes what is buffered when stopped (the shutdown step), without waiting for the interval', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      w.start(() => 3_600_000)
      for (let i = 0; i < 1234; i++) buffer.add(entry({ time: T0 + i }))
      await w.stop()
      expect(buffer.depth).toBe(0)
      expect((await query<any>(db, 'SELECT COUNT(*) AS n FROM request_logs'))[0].n).toEqual(1234)
    })

    it('writes on its interval while running', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      w.start(() => 100)
      buffer.add(entry())
      await expect.poll(async () => Number((await query<any>(db, 'SELECT COUNT(*) AS n FROM request_logs'))[0].n), { timeout: 3000 }).toBe(1)
      await w.stop()
    })

    it('writes early once enough records are waiting, and leaves fewer for the interval', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      w.start(() => 3_600_000)
      const count = async () => Number((await query<any>(db, 'SELECT COUNT(*) AS n FROM request_logs'))[0].n)
      for (let i = 0; i < w.earlyWriteAt - 1; i++) buffer.add(entry({ time: T0 + i }))
      await new Promise(r => setTimeout(r, 300))
      expect(await count()).toBe(0)
      buffer.add(entry({ time: T0 + w.earlyWriteAt }))
      await expect.poll(count, { timeout: 3000 }).toBe(w.earlyWriteAt)
      for (let i = 0; i < 7; i++) buffer.add(entry({ time: T0 + w.earlyWriteAt + 1 + i }))
      await new Promise(r => setTimeout(r, 300))
      expect(await count()).toBe(w.earlyWriteAt)
      expect(buffer.depth).toBe(7)
      await w.stop()
      expect(await count()).toBe(w.earlyWriteAt + 7)
    })

    it('keeps a batch the database refused and writes it once the database is back', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      await exec(db, 'ALTER TABLE request_logs RENAME TO request_logs_away')
      try {
        buffer.add(entry({ time: T0 + 1 }))
        buffer.add(entry({ time: T0 + 2 }))
        await w.flush()
      } finally {
        await exec(db, 'ALTER TABLE request_logs_away RENAME TO request_logs')
      }
      buffer.add(entry({ time: T0 + 3 }))
      await w.flush()
      const rows = await query<any>(db, 'SELECT time FROM request_logs ORDER BY time')
      expect(rows.map(r => Number(r.time))).toEqual([T0 + 1, T0 + 2, T0 + 3])
      const stats = await query<any>(db, 'SELECT requests FROM hourly_stats')
      expect(stats.map(s => Number(s.requests))).toEqual([3])
    })

    it('two instances writing at once to the same keys and hours lose no counts', async () => {
      const other = await another()
      const handles = [db, other]
      const buffers = handles.map(() => new RequestLogBuffer())
      for (const b of buffers) {
        for (let i = 0; i < 3000; i++) b.add(entry({ keyId: 1 + (i % 3), model: i % 2 ? 'a' : 'b', time: T0 + i, promptTokens: 1, completionTokens: 0, cachedTokens: 0 }))
      }
      await Promise.all(handles.map((h, i) => new RequestLogWriter({ db: h, log: silent, buffer: buffers[i]!, metrics }).stop()))
      await other.close()
      const n = 3000 * handles.length
      expect(buffers.every(b => b.dropped === 0)).toBe(true)
      expect(Number((await query<any>(db, 'SELECT COUNT(*) AS n FROM request_logs'))[0].n)).toBe(n)
      expect(Number((await query<any>(db, 'SELECT SUM(requests) AS n FROM hourly_stats'))[0].n)).toBe(n)
      expect(Number((await query<any>(db, 'SELECT SUM(prompt_tokens) AS n FROM hourly_stats'))[0].n)).toBe(n)
      expect(Number((await query<any>(db, 'SELECT SUM(requests) AS n FROM proxy_key_stats'))[0].n)).toBe(n)
      expect(Number((await query<any>(db, 'SELECT SUM(request_count) AS n FROM api_keys'))[0].n)).toBe(n)
    }, 60_000)

    it('at shutdown, gives up on records the database keeps refusing and counts them as dropped', async () => {
      const buffer = new RequestLogBuffer()
      const w = writerWith(buffer)
      w.start(() => 3_600_000)
      await exec(db, 'ALTER TABLE request_logs RENAME TO request_logs_away')
      try {
        for (let i = 0; i < 3; i++) buffer.add(entry({ time: T0 + i }))
        await w.stop()
      } finally {
        await exec(db, 'ALTER TABLE request_logs_away RENAME TO request_logs')
      }
      expect(buffer.depth).toBe(0)
      expect(buffer.dropped).toBe(3)
    })

    it('retention deletes records older than the cutoff in batches and keeps the rest', async () => {
      const buffer = new RequestLogBuffer()
      for (let i = 0; i < 5003; i++) buffer.add(entry({ time: T0 - 10 * 86_400_000 + i, keyId: null }))
      for (let i = 0; i < 3; i++) buffer.add(entry({ time: T0 + i, keyId: null }))
      await writerWith(buffer).flush()
      expect(await deleteRequestLogsBefore(db, T0 - 86_400_000)).toBe(5003)
      const rows = await query<any>(db, 'SELECT time FROM request_logs ORDER BY time')
      expect(rows.map(r => Number(r.time))).toEqual([T0, T0 + 1, T0 + 2])
    }, 60_000)
  })
}
