import { collectDefaultMetrics, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import type { KeyStatus } from '../../shared/types/rows'
import type { AttemptOutcomeLabel, RequestFinished } from '../proxy/ports'
import { CellCounter, CellHistogram, cellTable, type CounterCell, type HistogramCell } from './metricCells'

/**
 * Prometheus metrics (`GET /metrics`). Everything recorded per request goes through label cells
 * resolved once per label set (see metricCells.ts), so a request costs a couple of Map lookups
 * and field updates. Gauges that reflect state (keys by state, log buffer depth) are read from
 * their sources at scrape time instead of being kept up to date on the request path.
 *
 * Label values are group names, routes, statuses and model names: no keys or other secrets.
 */

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const TTFT_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Model names come from clients: past this many per group, they are counted as "other". */
const MAX_MODELS_PER_GROUP = 200

export type KeyStateCounts = Record<string, Record<KeyStatus, number>>

export interface Metrics {
  requestFinished(o: RequestFinished): void
  attempt(o: { group: string; outcome: AttemptOutcomeLabel }): void
  /** Called by the request log for every record that carries usage. */
  tokens(group: string, model: string, promptTokens: number, completionTokens: number, cachedTokens: number): void
  logsDropped(n: number): void
  logsWritten(n: number): void
  /** Where the keys-by-state gauge reads at each scrape (the proxy engine's pools). */
  observeKeyStates(source: () => KeyStateCounts): void
  /** Where the log-buffer gauge reads at each scrape (the request log). */
  observeLogBuffer(source: () => number): void
  /** The Prometheus text exposition of every metric, with its content type. */
  render(): Promise<{ contentType: string; body: string }>
  /** Every metric as data, for the primary to sum over the workers (WORKERS > 1). */
  snapshot(): Promise<MetricObjectWithValues<MetricValue<string>>[]>
}

/** One registry with the process's default metrics and Keygate's own. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const requests = new CellCounter('keygate_requests_total', 'Proxy requests answered, by route, group and HTTP status', registry)
  const duration = new CellHistogram('keygate_request_duration_seconds', 'Time from receiving a proxy request to its last byte', registry, SECONDS)
  const ttft = new CellHistogram('keygate_ttft_seconds', 'Time from receiving a streamed proxy request to the first byte sent back', registry, TTFT_SECONDS)
  const attempts = new CellCounter('keygate_attempts_total', 'Upstream attempts by outcome (success, retry on another key, final failure, client aborted)', registry)
  const tokens = new CellCounter('keygate_tokens_total', 'Tokens reported by upstreams, by group, model and kind (prompt includes cached)', registry)
  const logsDropped = new CellCounter('keygate_request_logs_dropped_total', 'Request log records dropped because the buffer was full or the database kept failing', registry).cell({})
  const logsWritten = new CellCounter('keygate_request_logs_written_total', 'Request log records written to the database', registry).cell({})

  type RouteCells = {
    byStatus: Map<number, CounterCell>
    plain: HistogramCell
    stream: HistogramCell
    ttft: HistogramCell
    labels: { route: string; group: string }
  }
  const routeCells = cellTable((route, group): RouteCells => ({
    byStatus: new Map(),
    plain: duration.cell({ route, group, stream: 'false' }),
    stream: duration.cell({ route, group, stream: 'true' }),
    ttft: ttft.cell({ route, group }),
    labels: { route, group },
  }))
  const attemptCells = cellTable((group, outcome) => attempts.cell({ group, outcome }))
  type TokenCells = { prompt: CounterCell; completion: CounterCell; cached: CounterCell }
  const tokenCells = cellTable((group, model): TokenCells => ({
    prompt: tokens.cell({ group, model, kind: 'prompt' }),
    completion: tokens.cell({ group, model, kind: 'completion' }),
    cached: tokens.cell({ group, model, kind: 'cached' }),
  }))

  let keyStateSource: (() => KeyStateCounts) | undefined
  let logBufferSource: (() => number) | undefined

  new Gauge({
    name: 'keygate_keys',
    help: 'Upstream keys by group and state',
    labelNames: ['group', 'state'],
    registers: [registry],
    // Every worker follows the same key states: summed over workers it would count each key N times.
    aggregator: 'first',
    collect() {
      this.reset()
      const byGroup = keyStateSource?.() ?? {}
      for (const [group, states] of Object.entries(byGroup)) {
        for (const [state, n] of Object.entries(states)) this.set({ group, state }, n)
      }
    },
  })

  new Gauge({
    name: 'keygate_request_log_buffer',
    help: 'Request log records waiting in memory to be written',
    registers: [registry],
    collect() { this.set(logBufferSource?.() ?? 0) },
  })

  const modelsSeen = new Map<string, Set<string>>()
  function modelLabel(group: string, model: string): string {
    const m = model || 'unknown'
    let seen = modelsSeen.get(group)
    if (!seen) modelsSeen.set(group, seen = new Set())
    if (seen.has(m)) return m
    if (seen.size >= MAX_MODELS_PER_GROUP) return 'other'
    seen.add(m)
    return m
  }

  return {
    requestFinished(o) {
      const cells = routeCells(o.route, o.group)
      let count = cells.byStatus.get(o.status)
      if (!count) cells.byStatus.set(o.status, count = requests.cell({ ...cells.labels, status: String(o.status) }))
      count.value++
      duration.observe(o.stream ? cells.stream : cells.plain, o.durationMs / 1000)
      if (o.ttftMs !== null && o.stream) ttft.observe(cells.ttft, o.ttftMs / 1000)
    },
    attempt(o) {
      attemptCells(o.group, o.outcome).value++
    },
    tokens(group, model, promptTokens, completionTokens, cachedTokens) {
      const cells = tokenCells(group, modelLabel(group, model))
      cells.prompt.value += promptTokens
      cells.completion.value += completionTokens
      cells.cached.value += cachedTokens
    },
    logsDropped(n) { logsDropped.value += n },
    logsWritten(n) { logsWritten.value += n },
    observeKeyStates(source) { keyStateSource = source },
    observeLogBuffer(source) { logBufferSource = source },
    async render() { return { contentType: registry.contentType, body: await registry.metrics() } },
    snapshot: () => registry.getMetricsAsJSON(),
  }
}
