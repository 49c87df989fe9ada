import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { parsePrometheus, sample } from '../support/prometheus'
import { startServer, TEST_AUTH_KEY } from '../support/server'

/** The built server: /metrics, the log subsystems' boot and shutdown, and retention. */
describe('request log and metrics on the built server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-reqlog-srv-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('serves Prometheus text on /metrics without credentials, and shuts down cleanly', async () => {
    const server = await startServer({ dataDir })
    try {
      const res = await fetch(`${server.url}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const text = await res.text()
      const { samples, types } = parsePrometheus(text)
      expect(types).toMatchObject({
        keygate_requests_total: 'counter',
        keygate_attempts_total: 'counter',
        keygate_request_duration_seconds: 'histogram',
        keygate_ttft_seconds: 'histogram',
        keygate_tokens_total: 'counter',
        keygate_keys: 'gauge',
        keygate_request_log_buffer: 'gauge',
        keygate_request_logs_dropped_total: 'counter',
        keygate_request_logs_written_total: 'counter',
        process_resident_memory_bytes: 'gauge',
      })
      expect(sample(samples, 'keygate_request_log_buffer')).toBe(0)
      expect(sample(samples, 'keygate_request_logs_dropped_total')).toBe(0)
      expect(text).not.toContain(TEST_AUTH_KEY)
    } finally {
      expect(await server.stop()).toBe(0)
    }
    expect(server.output()).toContain('shutdown complete')
    expect(server.output()).not.toMatch(/shutdown step .* failed/)
  })

  it('deletes request logs past the retention period shortly after start, keeping recent ones', async () => {
    const db = new Database(join(dataDir, 'keygate.db'))
    const day = 86_400_000
    const insert = db.prepare(`INSERT INTO request_logs (id, time, status, success, type) VALUES (?, ?, 200, 1, 'final')`)
    insert.run('old-1', Date.now() - 8 * day)
    insert.run('old-2', Date.now() - 30 * day)
    insert.run('recent', Date.now() - 6 * day)
    db.close()

    const server = await startServer({ dataDir })
    try {
      const remaining = () => {
        const d = new Database(join(dataDir, 'keygate.db'), { readonly: true })
        try { return (d.prepare('SELECT id FROM request_logs ORDER BY id').all() as { id: string }[]).map(r => r.id) } finally { d.close() }
      }
      await expect.poll(remaining, { timeout: 10_000, interval: 200 }).toEqual(['recent'])
      expect(server.output()).toContain('deleted 2 records older than 7 days')
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})
