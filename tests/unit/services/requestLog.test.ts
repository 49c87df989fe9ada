import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { openDb, runMigrations } from '../../../db/client'
import { createMetrics } from '../../../server/services/metrics'
import { createLogIds, createRequestLog, REQUEST_LOG_CAPACITY, type RequestLogEntry } from '../../../server/services/requestLog'
import { DEFAULT_SETTINGS } from '../../../shared/settings'
import { parsePrometheus, sample } from '../../support/prometheus'

const entry = (over: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  time: Date.now(), groupId: 1, groupName: 'alpha', parentGroupId: null, keyId: null, keyMasked: '', proxyKeyId: null,
  model: 'claude-sonnet-4', upstreamModel: 'claude-sonnet-4', path: '/v1/messages', upstream: 'https://api.anthropic.com',
  status: 200, success: true, type: 'final', stream: true, durationMs: 10, ttftMs: 2, promptTokens: 30, completionTokens: 4,
  cachedTokens: 8, error: null, ip: '', userAgent: '', requestBody: null, responseBody: null,
  requestId: 'r1', cost: 0, clientApi: 'anthropic', channelApi: 'anthropic', ...over,
})

describe('request log', () => {
  it('makes ids that sort by time and never repeat, also across two id sources', () => {
    const t = Date.UTC(2026, 0, 1)
    const newLogId = createLogIds()
    const ids = [newLogId(t), newLogId(t), newLogId(t + 1), newLogId(t + 1000 * 86400 * 365 * 50)]
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(4)
    expect(ids.every(id => id.length <= 32 && /^[0-9a-z]+$/.test(id))).toBe(true)
    expect(createLogIds()(t)).not.toBe(createLogIds()(t))
  })

  it('buffers until a write, writes on flush, counts tokens, and drops past capacity without throwing', async () => {
    const db = await openDb({ dialect: 'sqlite', file: ':memory:' })
    if (db.dialect !== 'sqlite') throw new Error('expected SQLite')
    await runMigrations(db)
    const metrics = createMetrics()
    const scrape = async () => parsePrometheus((await metrics.render()).body).samples
    // A long interval: nothing is written until asked.
    const requestLog = createRequestLog({ db, log: pino({ level: 'silent' }), metrics, settings: { current: () => ({ ...DEFAULT_SETTINGS, request_log_write_interval_seconds: 300 }) } })
    requestLog.record(entry())
    requestLog.record(entry({ promptTokens: 0, completionTokens: 0, cachedTokens: 0, success: false, status: 502 }))
    expect({ buffered: requestLog.depth, dropped: requestLog.dropped }).toEqual({ buffered: 2, dropped: 0 })
    let samples = await scrape()
    expect(sample(samples, 'keygate_request_log_buffer')).toBe(2)
    expect(sample(samples, 'keygate_tokens_total', { group: 'alpha', model: 'claude-sonnet-4', kind: 'cached' })).toBe(8)

    await requestLog.flush()
    expect((db.raw.prepare('SELECT COUNT(*) AS n FROM request_logs').get() as { n: number }).n).toBe(2)
    samples = await scrape()
    expect(sample(samples, 'keygate_request_log_buffer')).toBe(0)
    expect(sample(samples, 'keygate_request_logs_written_total')).toBe(2)

    // The early writes these trigger run only after this synchronous loop.
    for (let i = 0; i < REQUEST_LOG_CAPACITY + 25; i++) requestLog.record(entry())
    expect({ buffered: requestLog.depth, dropped: requestLog.dropped }).toEqual({ buffered: REQUEST_LOG_CAPACITY, dropped: 25 })
    expect(sample(await scrape(), 'keygate_request_logs_dropped_total')).toBe(25)

    await requestLog.stop()
    expect(requestLog.depth).toBe(0)
    expect((db.raw.prepare('SELECT COUNT(*) AS n FROM request_logs').get() as { n: number }).n).toBe(REQUEST_LOG_CAPACITY + 2)
    await db.close()
  }, 60_000)
})
