import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { KeyTestResult } from '../../shared/schemas/keys'
import type { RouteExplanation, RouteQuery } from '../../shared/schemas/route'
import type { SettingsMap } from '../../shared/settings'
import type { GroupRow, GroupSubGroupRow, KeyStatus, ModelPriceRow, ProxyKeyRow, RequestLogRow } from '../../shared/types/rows'
import type { Logger } from '../logger'
import type { Store } from '../store/types'

/**
 * The engine's ports: everything the proxy engine needs from the rest of Keygate, and everything
 * it offers back. The engine imports nothing else from the server (no services, no h3, no Nitro);
 * the composition root (server/core) builds these from the database, the store and the services.
 * Unit tests build them from fakes.
 */

/** A key row as the engine loads it: no counters, the secret still encrypted. */
export type PoolKeyRow = {
  id: number
  groupId: number
  keyCiphertext: string
  status: KeyStatus
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
}

/** One key's state as the engine writes it back (see EngineData.writeKeyStates). */
export type KeyStateUpdate = {
  id: number
  /** The status the database is expected to hold; the row is left alone when it differs (an admin changed it). */
  expectedStatus: KeyStatus
  status: KeyStatus
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
}

/** What the engine reads (at boot and on change notices) and writes (key states, in batches). */
export interface EngineData {
  loadGroups(): Promise<{ groups: GroupRow[]; subGroups: GroupSubGroupRow[] }>
  /** Keys of a group with ids above `afterId`, in id order, at most `limit`. */
  loadPoolKeyPage(groupId: number, afterId: number, limit: number): Promise<PoolKeyRow[]>
  /** The rows of these ids still in the group (a missing id was deleted). */
  loadPoolKeysByIds(groupId: number, ids: number[]): Promise<PoolKeyRow[]>
  loadProxyKeys(): Promise<ProxyKeyRow[]>
  /** Writes key states in one transaction; returns the ids whose row held `expectedStatus`. */
  writeKeyStates(updates: KeyStateUpdate[]): Promise<Set<number>>
  /** The price table (model or `*` pattern → USD per 1M tokens). */
  loadPrices(): Promise<ModelPriceRow[]>
  /** What a proxy key's requests used since `since` (final records: requests; all records: tokens and cost). */
  loadProxyKeySpend(proxyKeyId: number, since: number): Promise<ProxyKeySpend>
}

export type ProxyKeySpend = { requests: number; tokens: number; cost: number }

/** A change notice the engine follows (published by whoever changed the data, on any instance). */
export type EngineChange =
  | { type: 'settings' }
  | { type: 'groups' }
  /** `keyIds`: only these keys changed (absent: reload the whole group). */
  | { type: 'keys'; groupId: number; keyIds?: number[] }
  | { type: 'proxy-keys' }
  | { type: 'prices' }

export interface ChangeFeed {
  /** Calls `handler` for every notice from now on, this instance's own included. */
  subscribe(handler: (change: EngineChange) => void | Promise<void>): void
}

/** One record per upstream attempt (and one for a request refused before any). */
export type RequestLogEntry = Omit<RequestLogRow, 'id'>

export interface RequestLogSink {
  /** Never blocks, never throws. */
  record(entry: RequestLogEntry): void
}

export type RequestFinished = { route: string; group: string; status: number; durationMs: number; ttftMs: number | null; stream: boolean }
export type AttemptOutcomeLabel = 'success' | 'retry' | 'failure' | 'aborted'

export interface EngineMetrics {
  requestFinished(o: RequestFinished): void
  attempt(o: { group: string; outcome: AttemptOutcomeLabel }): void
}

export interface SettingsSource {
  /** The system settings in force; the same object until they change (the engine caches on it). */
  current(): SettingsMap
}

export interface KeySecrets {
  /** Plain upstream key from its stored ciphertext; throws when it cannot be decrypted. */
  decrypt(ciphertext: string): string
  /** Lookup hash of a proxy key secret (as stored in `proxy_keys.key_hash`). */
  hash(secret: string): string
}

export type EngineOptions = {
  instanceId: string
  maxConcurrentRequests: number
  maxRequestBodyBytes: number
  /** A request body not complete this long after the request arrived: 408 (REQUEST_BODY_TIMEOUT). */
  requestBodyTimeoutMs: number
  /** Request bodies held in memory across the requests in flight; past it 503 (MAX_BUFFERED_BODY_MB). */
  maxBufferedBodyBytes: number
  /** Share of maxConcurrentRequests a proxy key without its own maxConcurrency may hold (PROXY_KEY_MAX_SHARE). */
  proxyKeyMaxShare: number
  trustProxy: boolean
  cors: { enabled: boolean; origins: string[] }
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment. */
  outboundProxy: { http: string; https: string; noProxy: string }
}

/**
 * Concurrency limits shared with the other processes of this instance (WORKERS > 1, see
 * server/cluster/slots.ts); absent in a single process, where the engine counts by itself.
 */
export interface SharedSlots {
  /** Takes a slot of `name` under `limit` across the instance: true when taken. Synchronous while this process holds a spare one. */
  take(name: string, limit: number): boolean | Promise<boolean>
  give(name: string): void
}

export type EngineDeps = {
  data: EngineData
  changes: ChangeFeed
  requestLog: RequestLogSink
  metrics: EngineMetrics
  settings: SettingsSource
  secrets: KeySecrets
  /** Cross-instance key state messages and per-minute counters (Redis in a cluster). */
  store: Store
  /** Set with WORKERS > 1: MAX_CONCURRENT_REQUESTS and proxy-key concurrency then hold across workers. */
  slots?: SharedSlots
  log: Logger
  options: EngineOptions
  /**
   * Opens the connection pool for an upstream origin (called once per origin and settings).
   * Default: undici keep-alive agents, through proxy_url or HTTP(S)_PROXY. Tests pass fakes.
   */
  upstreamTransport?: (origin: string, settings: SettingsMap) => Dispatcher
}

export type ProxyKeyCounters = {
  rpm: number
  tpm: number
  /** Tokens and USD counted against the budgets this period (0 when the key has no budget). */
  tokens: number
  cost: number
  periodStart: number
  periodEnd: number | null
  timeZone: string
  inFlight: number
}

/** `/proxy/{group}/…` forwards to one group; the unified routes choose groups by model. */
export type ProxyRoute = { kind: 'group'; group: string } | { kind: 'unified' }

/** What the engine offers the rest of Keygate. */
export interface ProxyEngine {
  /** Serves one proxy request on the raw Node request and response. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse, route: ProxyRoute): Promise<void>
  /** Sends the group's channel-specific validation request with `key`. The error text never contains the key. */
  validateKey(group: GroupRow, key: string, opts?: { timeoutMs?: number }): Promise<KeyTestResult>
  /** A proxy key's counted limits now (null for an unknown id): this minute's rpm/tpm, this period's enforced spend. */
  proxyKeyCounters(id: number): Promise<ProxyKeyCounters | null>
  /** Which groups a unified-route request would go to, and why (GET /api/route); null when the proxy key id is unknown. */
  explainRoute(q: RouteQuery): RouteExplanation | null
  /** Keys by state for every standard group, by group name (read at each metrics scrape). */
  keyCounts(): Record<string, Record<KeyStatus, number>>
  /** Stops following changes, writes back pending key states, closes upstream connections. */
  close(): Promise<void>
}
