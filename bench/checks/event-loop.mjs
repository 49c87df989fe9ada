// In-process timing of two engine pieces, the figures tests/unit asserted (keypoolReload: a paged
// pool reload yields to the event loop, no turn over 150 ms and a 5 ms timer firing at least every
// 50 ms on average; requestLog: enqueueing past the buffer's capacity stays cheap, 50,025 entries
// within 2 s). Run in this process: the server's TypeScript modules are loaded through tsx.
import { check, round } from './lib.mjs'

const row = id => ({ id, groupId: 1, keyCiphertext: `c${id}`, status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null })

async function pagedReload() {
  const { KeyPool } = await import('../../server/proxy/keypool/pool.ts')
  const { reloadPoolPaged } = await import('../../server/proxy/keypool/reload.ts')
  const rows = Array.from({ length: 60_000 }, (_, i) => row(i + 1))
  const read = async (after, limit) => rows.slice(after, after + limit)
  // A decrypt costing ~10 µs, about what AES-GCM plus a Buffer round trip costs.
  const slowDecrypt = (c) => { const end = performance.now() + 0.01; while (performance.now() < end); return c }
  let ticks = 0, last = performance.now(), worst = 0
  const timer = setInterval(() => { const n = performance.now(); worst = Math.max(worst, n - last); last = n; ticks++ }, 5)
  const start = performance.now()
  await reloadPoolPaged(new KeyPool(1), read, slowDecrypt, () => {}, { pageSize: 5000, sliceMs: 10 })
  const took = performance.now() - start
  clearInterval(timer)
  const meanGap = took / Math.max(1, ticks)
  return [
    check('event loop: longest turn during a paged reload of 60,000 keys (ms)', round(worst), '< 150', worst < 150, `reload took ${Math.round(took)} ms (must be > 600 to mean anything)`),
    check('event loop: mean gap between 5 ms timer ticks meanwhile (ms)', round(meanGap), '< 50', meanGap < 50 && took > 600, `${ticks} ticks`),
  ]
}

async function enqueuePastCapacity() {
  const { createRequestLog, REQUEST_LOG_CAPACITY } = await import('../../server/services/requestLog.ts')
  const { createMetrics } = await import('../../server/services/metrics.ts')
  const { openDb, runMigrations } = await import('../../db/client.ts')
  const { DEFAULT_SETTINGS } = await import('../../shared/settings.ts')
  const { default: pino } = await import('pino')
  const db = await openDb({ dialect: 'sqlite', file: ':memory:' })
  await runMigrations(db)
  // A long write interval: nothing is written while the entries go in.
  const settings = { current: () => ({ ...DEFAULT_SETTINGS, request_log_write_interval_seconds: 300 }) }
  const requestLog = createRequestLog({ db, log: pino({ level: 'silent' }), metrics: createMetrics(), settings })
  const entry = () => ({
    time: Date.now(), groupId: 1, groupName: 'alpha', parentGroupId: null, keyId: null, keyMasked: '', proxyKeyId: null,
    model: 'claude-sonnet-4', upstreamModel: 'claude-sonnet-4', path: '/v1/messages', upstream: 'https://api.anthropic.com',
    status: 200, success: true, type: 'final', stream: true, durationMs: 10, ttftMs: 2, promptTokens: 30, completionTokens: 4,
    cachedTokens: 8, error: null, ip: '', userAgent: '', requestBody: null, responseBody: null,
  })
  const n = REQUEST_LOG_CAPACITY + 25
  const start = performance.now()
  for (let i = 0; i < n; i++) requestLog.record(entry())
  const took = performance.now() - start
  const state = { buffered: requestLog.depth, dropped: requestLog.dropped }
  await requestLog.stop()
  await db.close()
  return [check(`request log: enqueue ${n.toLocaleString('en')} entries, 25 past capacity (ms)`, round(took), '< 2000', took < 2000 && state.dropped === 25,
    `buffered ${state.buffered}, dropped ${state.dropped}`)]
}

export async function run() {
  return [...await pagedReload(), ...await enqueuePastCapacity()]
}
