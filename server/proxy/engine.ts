import type { Logger } from '../logger'
import type { BodyLimits } from './body'
import type { Store } from '../store/types'
import type { UpstreamDispatchers } from './upstreamPools'
import type { KeyStateSink } from './keypool/transitions'
import type { EngineMetrics, EngineOptions, RequestLogSink, SettingsSource, SharedSlots } from './ports'
import type { ProxyKeyTable } from './proxyKeys'
import type { GroupRegistry } from './registry'
import type { ConsumerLimits } from './limits/consumer'
import type { PriceTable } from './limits/prices'
import type { PacingDeps } from './keypool/pacing'

/** The engine's long-lived state, built once by createProxyEngine and read by every request. */
export type Engine = {
  registry: GroupRegistry
  proxyKeys: ProxyKeyTable
  sink: KeyStateSink
  store: Store
  log: Logger
  settings: SettingsSource
  requestLog: RequestLogSink
  metrics: EngineMetrics
  dispatchers: UpstreamDispatchers
  /** Lookup hash of a proxy key secret. */
  hash: (secret: string) => string
  options: EngineOptions
  /** Proxy requests in flight in this process. */
  inFlight: number
  /** WORKERS > 1: the limits on requests in flight are counted across the workers through these. */
  slots: SharedSlots | undefined
  /** Per-request body limits and the instance's budget of buffered body bytes. */
  bodyLimits: BodyLimits
  /** Slots a proxy key without its own maxConcurrency may hold. */
  proxyKeySlots: number
  /** Proxy keys' rpm, tpm and budgets, counted in the Store. */
  limits: ConsumerLimits
  /** Upstream-key pacing counters (key_rpm, key_tpm, key_daily_requests). */
  pacing: PacingDeps
  /** The price table in force (replaced on a 'prices' notice). */
  prices: { current: PriceTable }
  /** The id every attempt of one client request shares in the request log. */
  newRequestId: (time: number) => string
}
