import { sql } from 'drizzle-orm'
import { customType, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { CHANNEL_TYPES } from '../../shared/channels'
import type { GroupType, HeaderRule, KeyStatus, TaskState, Upstream } from '../../shared/types/rows'

const json = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: v => JSON.stringify(v),
    fromDriver: v => JSON.parse(v) as T,
  })(name)

const bool = (name: string) => integer(name, { mode: 'boolean' })
const ms = (name: string) => integer(name)

export const groups = sqliteTable('groups', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  displayName: text('display_name').notNull().default(''),
  description: text('description').notNull().default(''),
  type: text('type').$type<GroupType>().notNull().default('standard'),
  channel: text('channel', { enum: CHANNEL_TYPES }).notNull(),
  upstreams: json<Upstream[]>('upstreams').notNull(),
  testModel: text('test_model').notNull().default(''),
  validationPath: text('validation_path').notNull().default(''),
  models: json<string[]>('models').notNull(),
  priority: integer('priority').notNull().default(0),
  modelRedirects: json<Record<string, string>>('model_redirects').notNull(),
  modelRedirectStrict: bool('model_redirect_strict').notNull().default(false),
  paramOverrides: json<Record<string, unknown>>('param_overrides').notNull(),
  headerRules: json<HeaderRule[]>('header_rules').notNull(),
  allowedPaths: json<string[]>('allowed_paths').notNull().default(sql`'[]'`),
  acceptsConversions: bool('accepts_conversions').notNull().default(false),
  priceMultiplier: real('price_multiplier').notNull().default(1),
  config: json<Record<string, unknown>>('config').notNull(),
  enabled: bool('enabled').notNull().default(true),
  sort: integer('sort').notNull().default(0),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const groupSubGroups = sqliteTable('group_sub_groups', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  groupId: integer('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  subGroupId: integer('sub_group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  weight: integer('weight').notNull().default(1),
}, t => [uniqueIndex('group_sub_groups_pair').on(t.groupId, t.subGroupId), index('group_sub_groups_sub').on(t.subGroupId)])

export const apiKeys = sqliteTable('api_keys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  groupId: integer('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  keyHash: text('key_hash').notNull(),
  keyCiphertext: text('key_ciphertext').notNull(),
  status: text('status').$type<KeyStatus>().notNull().default('active'),
  notes: text('notes').notNull().default(''),
  requestCount: integer('request_count').notNull().default(0),
  failureCount: integer('failure_count').notNull().default(0),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  cooldownUntil: ms('cooldown_until'),
  lastError: text('last_error'),
  lastUsedAt: ms('last_used_at'),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
}, t => [
  uniqueIndex('api_keys_group_hash').on(t.groupId, t.keyHash),
  index('api_keys_group_status').on(t.groupId, t.status, t.id),
  // Key pools load a group page by page in id order, so rotation follows insertion order.
  index('api_keys_group_id').on(t.groupId, t.id),
  // The dashboard's feed of keys whose state changed lately reads the newest updated_at first.
  index('api_keys_updated').on(t.updatedAt),
])

export const proxyKeys = sqliteTable('proxy_keys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  masked: text('masked').notNull(),
  groupIds: json<number[]>('group_ids').notNull(),
  models: json<string[]>('models').notNull(),
  rpm: integer('rpm').notNull().default(0),
  tpm: integer('tpm').notNull().default(0),
  maxConcurrency: integer('max_concurrency').notNull().default(0),
  budgetTokens: integer('budget_tokens').notNull().default(0),
  budgetPeriod: text('budget_period').notNull().default('none'),
  budgetCost: real('budget_cost').notNull().default(0),
  ipAllowlist: json<string[]>('ip_allowlist').notNull().default(sql`'[]'`),
  expiresAt: ms('expires_at'),
  enabled: bool('enabled').notNull().default(true),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const requestLogs = sqliteTable('request_logs', {
  id: text('id').primaryKey(),
  requestId: text('request_id').notNull().default(''),
  time: ms('time').notNull(),
  groupId: integer('group_id'),
  groupName: text('group_name').notNull().default(''),
  parentGroupId: integer('parent_group_id'),
  keyId: integer('key_id'),
  keyMasked: text('key_masked').notNull().default(''),
  proxyKeyId: integer('proxy_key_id'),
  model: text('model').notNull().default(''),
  upstreamModel: text('upstream_model').notNull().default(''),
  path: text('path').notNull().default(''),
  upstream: text('upstream').notNull().default(''),
  status: integer('status').notNull(),
  success: bool('success').notNull(),
  type: text('type').$type<'retry' | 'final'>().notNull(),
  stream: bool('stream').notNull().default(false),
  durationMs: integer('duration_ms').notNull().default(0),
  ttftMs: integer('ttft_ms'),
  promptTokens: integer('prompt_tokens').notNull().default(0),
  completionTokens: integer('completion_tokens').notNull().default(0),
  cachedTokens: integer('cached_tokens').notNull().default(0),
  cost: real('cost').notNull().default(0),
  clientApi: text('client_api').notNull().default(''),
  channelApi: text('channel_api').notNull().default(''),
  error: text('error'),
  ip: text('ip').notNull().default(''),
  userAgent: text('user_agent').notNull().default(''),
  requestBody: text('request_body'),
  responseBody: text('response_body'),
}, t => [
  index('request_logs_time').on(t.time),
  index('request_logs_group_time').on(t.groupId, t.time),
  index('request_logs_key_time').on(t.keyId, t.time),
  index('request_logs_request').on(t.requestId),
  // Counts by type over a time range (requests in the last minute) read this index alone.
  index('request_logs_type_time').on(t.type, t.time),
])

/** The columns every stats rollup sums (fresh builders for each table). */
const statSums = () => ({
  requests: integer('requests').notNull().default(0),
  failures: integer('failures').notNull().default(0),
  /** Attempts retried on another key (`type = 'retry'` log rows). */
  retries: integer('retries').notNull().default(0),
  promptTokens: integer('prompt_tokens').notNull().default(0),
  completionTokens: integer('completion_tokens').notNull().default(0),
  cachedTokens: integer('cached_tokens').notNull().default(0),
  cost: real('cost').notNull().default(0),
})

export const hourlyStats = sqliteTable('hourly_stats', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  groupId: integer('group_id').notNull(),
  model: text('model').notNull(),
  hour: ms('hour').notNull(),
  ...statSums(),
}, t => [uniqueIndex('hourly_stats_group_model_hour').on(t.groupId, t.model, t.hour), index('hourly_stats_hour').on(t.hour)])

/** Per proxy key (0: none) and hour, kept like hourly_stats: usage by proxy key and the top proxy keys. */
export const proxyKeyStats = sqliteTable('proxy_key_stats', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  proxyKeyId: integer('proxy_key_id').notNull(),
  hour: ms('hour').notNull(),
  ...statSums(),
}, t => [uniqueIndex('proxy_key_stats_key_hour').on(t.proxyKeyId, t.hour), index('proxy_key_stats_hour').on(t.hour)])

/**
 * Per group (0: none), model, proxy key (0: none) and minute, kept for a few hours: the
 * dashboard's last hour without reading the log.
 */
export const minuteStats = sqliteTable('minute_stats', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  groupId: integer('group_id').notNull(),
  model: text('model').notNull(),
  proxyKeyId: integer('proxy_key_id').notNull(),
  minute: ms('minute').notNull(),
  ...statSums(),
}, t => [uniqueIndex('minute_stats_group_model_key_minute').on(t.groupId, t.model, t.proxyKeyId, t.minute), index('minute_stats_minute').on(t.minute)])

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: json<unknown>('value').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const tasks = sqliteTable('tasks', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  groupId: integer('group_id'),
  state: text('state').$type<TaskState>().notNull(),
  processed: integer('processed').notNull().default(0),
  total: integer('total').notNull().default(0),
  result: json<unknown>('result'),
  error: text('error'),
  instanceId: text('instance_id').notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
}, t => [index('tasks_state').on(t.state)])

/** Prices per 1,000,000 tokens in USD, by model name or `*` pattern (the most specific match wins). */
export const modelPrices = sqliteTable('model_prices', {
  model: text('model').primaryKey(),
  input: real('input').notNull().default(0),
  cachedInput: real('cached_input').notNull().default(0),
  cacheWrite: real('cache_write').notNull().default(0),
  output: real('output').notNull().default(0),
  updatedAt: ms('updated_at').notNull(),
})
