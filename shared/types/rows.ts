/**
 * Database row shapes, the same for both dialects (tests/unit/db/schema-types.test.ts proves
 * that db/schema/sqlite.ts and db/schema/mysql.ts infer exactly these).
 * Times are epoch milliseconds; JSON columns are typed values.
 */
import type { ChannelType } from '../channels'

export type { ChannelType }
export type GroupType = 'standard' | 'aggregate'
export type KeyStatus = 'active' | 'cooling' | 'invalid' | 'disabled'
export type TaskState = 'running' | 'done' | 'failed'

export type Upstream = { url: string; weight: number }
export type HeaderRule = { name: string; value: string; action: 'set' | 'remove' }

export type GroupRow = {
  id: number
  name: string
  displayName: string
  description: string
  type: GroupType
  channel: ChannelType
  upstreams: Upstream[]
  testModel: string
  validationPath: string
  models: string[]
  priority: number
  modelRedirects: Record<string, string>
  modelRedirectStrict: boolean
  paramOverrides: Record<string, unknown>
  headerRules: HeaderRule[]
  /** Endpoints beyond the channel's inference API, as `"METHOD /path-pattern"` (shared/endpoints.ts). */
  allowedPaths: string[]
  /** Reachable from the unified routes of other client APIs, with format conversion. */
  acceptsConversions: boolean
  /** Multiplies the price table for this group's requests (discounts, resellers); 1 = list price. */
  priceMultiplier: number
  config: Record<string, unknown>
  enabled: boolean
  sort: number
  createdAt: number
  updatedAt: number
}

export type GroupSubGroupRow = { id: number; groupId: number; subGroupId: number; weight: number }

export type ApiKeyRow = {
  id: number
  groupId: number
  keyHash: string
  keyCiphertext: string
  status: KeyStatus
  notes: string
  requestCount: number
  failureCount: number
  consecutiveFailures: number
  cooldownUntil: number | null
  lastError: string | null
  lastUsedAt: number | null
  createdAt: number
  updatedAt: number
}

export type ProxyKeyRow = {
  id: number
  name: string
  keyHash: string
  masked: string
  groupIds: number[]
  models: string[]
  rpm: number
  tpm: number
  maxConcurrency: number
  budgetTokens: number
  budgetPeriod: string
  /** Money budget per period in USD; 0 = none. */
  budgetCost: number
  /** Client addresses allowed to use the key, as CIDRs or addresses; empty = any. */
  ipAllowlist: string[]
  expiresAt: number | null
  enabled: boolean
  createdAt: number
  updatedAt: number
}

export type RequestLogRow = {
  id: string
  /** Shared by every attempt (retry and final) of one client request. */
  requestId: string
  time: number
  groupId: number | null
  groupName: string
  parentGroupId: number | null
  keyId: number | null
  keyMasked: string
  proxyKeyId: number | null
  model: string
  upstreamModel: string
  path: string
  upstream: string
  status: number
  success: boolean
  type: 'retry' | 'final'
  stream: boolean
  durationMs: number
  ttftMs: number | null
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  /** USD, from the price table and the group's multiplier. */
  cost: number
  /** The API the client spoke (openai, openai-response, anthropic, gemini). */
  clientApi: string
  /** The API the upstream was spoken to in (the group's channel); differs from clientApi when converted. */
  channelApi: string
  error: string | null
  ip: string
  userAgent: string
  requestBody: string | null
  responseBody: string | null
}

/** What every rollup sums: final requests, their failures, retried attempts, tokens and cost. */
type StatSums = {
  requests: number
  failures: number
  retries: number
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  cost: number
}

/** One flat object type (an intersection would not compare equal to the schema's inferred row). */
type Flat<T> = { [K in keyof T]: T[K] }

export type HourlyStatRow = Flat<{ id: number; groupId: number; model: string; hour: number } & StatSums>

/** Proxy key 0: requests without one. */
export type ProxyKeyStatRow = Flat<{ id: number; proxyKeyId: number; hour: number } & StatSums>

/** Group or proxy key 0: none. Kept a few hours. */
export type MinuteStatRow = Flat<{ id: number; groupId: number; model: string; proxyKeyId: number; minute: number } & StatSums>

export type ModelPriceRow = {
  /** A model name or `*` pattern. */
  model: string
  /** USD per 1,000,000 tokens. */
  input: number
  cachedInput: number
  cacheWrite: number
  output: number
  updatedAt: number
}

export type SettingRow = { key: string; value: unknown; updatedAt: number }

export type TaskRow = {
  id: string
  type: string
  groupId: number | null
  state: TaskState
  processed: number
  total: number
  result: unknown
  error: string | null
  instanceId: string
  createdAt: number
  updatedAt: number
}
