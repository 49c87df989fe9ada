import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { openDb, runMigrations } from '../../../db/client'
import { renderMetrics } from '../../../server/services/metrics'
import { enqueueRequestLog, flushRequestLogs, newLogId, REQUEST_LOG_CAPACITY, requestLogState, startRequestLogWriter, type RequestLogEntry } from '../../../server/services/requestLog'
import { parsePrometheus, sample } from '../../support/prometheus'

const entry = (over: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  time: Date.now(), groupId: 1, groupName: 'alpha', parentGroupId: null, keyId: null, keyMasked: '', proxyKeyId: null,
  model: 'claude-sonnet-4', upstreamModel: 'claude-sonnet-4', path: '/v1/messages', upstream: 'https://api.anthropic.com',
  status: 200, success: true, type: 'final', stream: true, durationMs: 10, ttftMs: 2, promptTokens: 30, completionTokens: 4,
  cachedTokens: 8, error: null, ip: '', userAgent: '', requestBody: null, responseBody: null, ...over,
})

async function scrape() { return parsePrometheus((await renderMetrics()).body).samples }

describe('request log (module API)', () => {
  it('makes ids that sort by time and never repeat', () => {
    const t = Date.UTC(2026, 0, 1)
    const ids = [newLogId(t), newLogId(t), newLogId(t + 1), newLogId(t + 1000 * 86400 * 365 * 50)]
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(4)
    expect(ids.every(id => id.length <= 32 && /^[0-9a-z]+$/.test(id))).toBe(true)
  })

  it('buffers before the writer starts, writes on flush, counts tokens, and drops past capacity without throwing', async () => {
    const db = await openDb({ dialect: 'sqlite', file: ':memory:' })
    if (db.dialect !== 'sqlite') throw new Error('expected SQLite')
    await runMigrations(db)
    enqueueRequestLog(entry())
    enqueueRequestLog(entry({ promptTokens: 0, completionTokens: 0, cachedTokens: 0, success: false, status: 502 }))
    expect(requestLogState()).toEqual({ buffered: 2, dropped: 0 })
    let samples = await scrape()
    expect(sample(samples, 'keygate_request_log_buffer')).toBe(2)
    expect(sample(samples, 'keygate_tokens_total', { group: 'alpha', model: 'claude-sonnet-4', kind: 'cached' })).toBe(8)

    const stop = startRequestLogWriter({ db, log: pino({ level: 'silent' }) })
    await flushRequestLogs()
    expect((db.raw.prepare('SELECT COUNT(*) AS n FROM request_logs').get() as { n: number }).n).toBe(2)
    samples = await scrape()
    expect(sample(samples, 'keygate_request_log_buffer')).toBe(0)
    expect(sample(samples, 'keygate_request_logs_written_total')).toBe(2)

    const start = performance.now()
    for (let i = 0; i < REQUEST_LOG_CAPACITY + 25; i++) enqueueRequestLog(entry())
    expect(performance.now() - start).toBeLessThan(2000)
    expect(requestLogState()).toEqual({ buffered: REQUEST_LOG_CAPACITY, dropped: 25 })
    expect(sample(await scrape(), 'keygate_request_logs_dropped_total')).toBe(25)

    await stop()
    expect(requestLogState().buffered).toBe(0)
    expect((db.raw.prepare('SELECT COUNT(*) AS n FROM request_logs').get() as { n: number }).n).toBe(REQUEST_LOG_CAPACITY + 2)
    await db.close()
  }, 60_000)
})
