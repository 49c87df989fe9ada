import { sql } from 'drizzle-orm'
import { bigint, boolean, customType, double, index, int, mysqlTable, text, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { CHANNEL_TYPES } from '../../shared/channels'
import type { GroupType, HeaderRule, KeyStatus, TaskState, Upstream } from '../../shared/types/rows'

// JSON kept as LONGTEXT: MariaDB's JSON is an alias of it, and mysql2 hands it back as a string.
const json = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'longtext',
    toDriver: v => JSON.stringify(v),
    fromDriver: v => (typeof v === 'string' ? JSON.parse(v) : v) as T,
  })(name)

const ms = (name: string) => bigint(name, { mode: 'number' })

export const groups = mysqlTable('groups', {
  id: int('id').autoincrement().primaryKey(),
  name: varchar('name', { length: 100 }).notNull().unique(),
  displayName: varchar('display_name', { length: 255 }).notNull().default(''),
  description: varchar('description', { length: 2000 }).notNull().default(''),
  type: varchar('type', { length: 16 }).$type<GroupType>().notNull().default('standard'),
  channel: varchar('channel', { length: 32, enum: CHANNEL_TYPES }).notNull(),
  upstreams: json<Upstream[]>('upstreams').notNull(),
  testModel: varchar('test_model', { length: 255 }).notNull().default(''),
  validationPath: varchar('validation_path', { length: 500 }).notNull().default(''),
  models: json<string[]>('models').notNull(),
  priority: int('priority').notNull().default(0),
  modelRedirects: json<Record<string, string>>('model_redirects').notNull(),
  modelRedirectStrict: boolean('model_redirect_strict').notNull().default(false),
  paramOverrides: json<Record<string, unknown>>('param_overrides').notNull(),
  headerRules: json<HeaderRule[]>('header_rules').notNull(),
  // An expression default: MySQL allows no literal default on a TEXT column (MariaDB does either).
  allowedPaths: json<string[]>('allowed_paths').notNull().default(sql`('[]')`),
  acceptsConversions: boolean('accepts_conversions').notNull().default(false),
  priceMultiplier: double('price_multiplier').notNull().default(1),
  config: json<Record<string, unknown>>('config').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  sort: int('sort').notNull().default(0),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const groupSubGroups = mysqlTable('group_sub_groups', {
  id: int('id').autoincrement().primaryKey(),
  groupId: int('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  subGroupId: int('sub_group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  weight: int('weight').notNull().default(1),
}, t => [uniqueIndex('group_sub_groups_pair').on(t.groupId, t.subGroupId), index('group_sub_groups_sub').on(t.subGroupId)])

export const apiKeys = mysqlTable('api_keys', {
  id: int('id').autoincrement().primaryKey(),
  groupId: int('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  keyHash: varchar('key_hash', { length: 64 }).notNull(),
  keyCiphertext: text('key_ciphertext').notNull(),
  status: varchar('status', { length: 16 }).$type<KeyStatus>().notNull().default('active'),
  notes: varchar('notes', { length: 1000 }).notNull().default(''),
  requestCount: int('request_count').notNull().default(0),
  failureCount: int('failure_count').notNull().default(0),
  consecutiveFailures: int('consecutive_failures').notNull().default(0),
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

export const proxyKeys = mysqlTable('proxy_keys', {
  id: int('id').autoincrement().primaryKey(),
  name: varchar('name', { length: 255 }).notNull(),
  keyHash: varchar('key_hash', { length: 64 }).notNull().unique(),
  masked: varchar('masked', { length: 64 }).notNull(),
  groupIds: json<number[]>('group_ids').notNull(),
  models: json<string[]>('models').notNull(),
  rpm: int('rpm').notNull().default(0),
  tpm: int('tpm').notNull().default(0),
  maxConcurrency: int('max_concurrency').notNull().default(0),
  budgetTokens: bigint('budget_tokens', { mode: 'number' }).notNull().default(0),
  budgetPeriod: varchar('budget_period', { length: 16 }).notNull().default('none'),
  budgetCost: double('budget_cost').notNull().default(0),
  ipAllowlist: json<string[]>('ip_allowlist').notNull().default(sql`('[]')`),
  expiresAt: ms('expires_at'),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const requestLogs = mysqlTable('request_logs', {
  id: varchar('id', { length: 32 }).primaryKey(),
  requestId: varchar('request_id', { length: 32 }).notNull().default(''),
  time: ms('time').notNull(),
  groupId: int('group_id'),
  groupName: varchar('group_name', { length: 100 }).notNull().default(''),
  parentGroupId: int('parent_group_id'),
  keyId: int('key_id'),
  keyMasked: varchar('key_masked', { length: 64 }).notNull().default(''),
  proxyKeyId: int('proxy_key_id'),
  model: varchar('model', { length: 255 }).notNull().default(''),
  upstreamModel: varchar('upstream_model', { length: 255 }).notNull().default(''),
  path: varchar('path', { length: 1000 }).notNull().default(''),
  upstream: varchar('upstream', { length: 500 }).notNull().default(''),
  status: int('status').notNull(),
  success: boolean('success').notNull(),
  type: varchar('type', { length: 8 }).$type<'retry' | 'final'>().notNull(),
  stream: boolean('stream').notNull().default(false),
  durationMs: int('duration_ms').notNull().default(0),
  ttftMs: int('ttft_ms'),
  promptTokens: int('prompt_tokens').notNull().default(0),
  completionTokens: int('completion_tokens').notNull().default(0),
  cachedTokens: int('cached_tokens').notNull().default(0),
  cost: double('cost').notNull().default(0),
  clientApi: varchar('client_api', { length: 32 }).notNull().default(''),
  channelApi: varchar('channel_api', { length: 32 }).notNull().default(''),
  error: text('error'),
  ip: varchar('ip', { length: 64 }).notNull().default(''),
  userAgent: varchar('user_agent', { length: 500 }).notNull().default(''),
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
  requests: int('requests').notNull().default(0),
  failures: int('failures').notNull().default(0),
  /** Attempts retried on another key (`type = 'retry'` log rows). */
  retries: int('retries').notNull().default(0),
  promptTokens: bigint('prompt_tokens', { mode: 'number' }).notNull().default(0),
  completionTokens: bigint('completion_tokens', { mode: 'number' }).notNull().default(0),
  cachedTokens: bigint('cached_tokens', { mode: 'number' }).notNull().default(0),
  cost: double('cost').notNull().default(0),
})

export const hourlyStats = mysqlTable('hourly_stats', {
  id: int('id').autoincrement().primaryKey(),
  groupId: int('group_id').notNull(),
  model: varchar('model', { length: 255 }).notNull(),
  hour: ms('hour').notNull(),
  ...statSums(),
}, t => [uniqueIndex('hourly_stats_group_model_hour').on(t.groupId, t.model, t.hour), index('hourly_stats_hour').on(t.hour)])

/** Per proxy key (0: none) and hour, kept like hourly_stats: usage by proxy key and the top proxy keys. */
export const proxyKeyStats = mysqlTable('proxy_key_stats', {
  id: int('id').autoincrement().primaryKey(),
  proxyKeyId: int('proxy_key_id').notNull(),
  hour: ms('hour').notNull(),
  ...statSums(),
}, t => [uniqueIndex('proxy_key_stats_key_hour').on(t.proxyKeyId, t.hour), index('proxy_key_stats_hour').on(t.hour)])

/**
 * Per group (0: none), model, proxy key (0: none) and minute, kept for a few hours: the
 * dashboard's last hour without reading the log.
 */
export const minuteStats = mysqlTable('minute_stats', {
  id: int('id').autoincrement().primaryKey(),
  groupId: int('group_id').notNull(),
  model: varchar('model', { length: 255 }).notNull(),
  proxyKeyId: int('proxy_key_id').notNull(),
  minute: ms('minute').notNull(),
  ...statSums(),
}, t => [uniqueIndex('minute_stats_group_model_key_minute').on(t.groupId, t.model, t.proxyKeyId, t.minute), index('minute_stats_minute').on(t.minute)])

export const settings = mysqlTable('settings', {
  key: varchar('key', { length: 100 }).primaryKey(),
  value: json<unknown>('value').notNull(),
  updatedAt: ms('updated_at').notNull(),
})

export const tasks = mysqlTable('tasks', {
  id: varchar('id', { length: 40 }).primaryKey(),
  type: varchar('type', { length: 40 }).notNull(),
  groupId: int('group_id'),
  state: varchar('state', { length: 16 }).$type<TaskState>().notNull(),
  processed: int('processed').notNull().default(0),
  total: int('total').notNull().default(0),
  result: json<unknown>('result'),
  error: text('error'),
  instanceId: varchar('instance_id', { length: 64 }).notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
}, t => [index('tasks_state').on(t.state)])

/** Prices per 1,000,000 tokens in USD, by model name or `*` pattern (the most specific match wins). */
export const modelPrices = mysqlTable('model_prices', {
  model: varchar('model', { length: 255 }).primaryKey(),
  input: double('input').notNull().default(0),
  cachedInput: double('cached_input').notNull().default(0),
  cacheWrite: double('cache_write').notNull().default(0),
  output: double('output').notNull().default(0),
  updatedAt: ms('updated_at').notNull(),
})
