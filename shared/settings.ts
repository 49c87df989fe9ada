import { z } from 'zod'

/**
 * System settings (CONTRACT §3), written once: `SETTINGS` below is the table, and every type,
 * the defaults and both zod schemas are derived from it. `group: true` marks the starred ones
 * that a group's `config` may override. Defaults follow GPT-Load where it has the setting.
 */
export const SETTING_CATEGORIES = ['general', 'logging', 'request', 'keys'] as const
export type SettingCategory = (typeof SETTING_CATEGORIES)[number]
export type SettingType = 'int' | 'bool' | 'string'

type Common = { category: SettingCategory; description: string; group: boolean }
/** One row of the table; `format` gives a string setting its syntax check. */
export type SettingSpec = Common & (
  | { type: 'int'; default: number; min: number; max: number }
  | { type: 'bool'; default: boolean }
  | { type: 'string'; default: string; format?: 'url' | 'status-ranges' | 'time-zone' }
)

const int = <const G extends boolean>(def: number, min: number, max: number, category: SettingCategory, group: G, description: string) =>
  ({ type: 'int', default: def, min, max, category, group, description }) as const

export const SETTINGS = {
  app_url: { type: 'string', default: 'http://localhost:3001', format: 'url', category: 'general', group: false, description: 'Public base URL of this gateway, used to show endpoints in the console' },
  request_log_retention_days: int(7, 0, 3650, 'logging', false, 'Days to keep request logs (0 keeps them forever)'),
  request_log_write_interval_seconds: int(1, 1, 300, 'logging', false, 'Longest a request log record waits in memory before it is written (a full batch is written at once)'),
  request_log_body: { type: 'bool', default: false, category: 'logging', group: true, description: 'Store request and response bodies in the request log' },
  request_timeout: int(600, 1, 86400, 'request', true, 'Seconds an upstream request may take in total'),
  connect_timeout: int(15, 1, 600, 'request', true, 'Seconds to establish a connection to an upstream'),
  response_header_timeout: int(600, 1, 86400, 'request', true, 'Seconds to wait for upstream response headers'),
  idle_conn_timeout: int(120, 1, 3600, 'request', true, 'Seconds an idle upstream connection is kept open'),
  max_idle_conns: int(100, 1, 10000, 'request', true, 'Idle connections kept per upstream origin'),
  proxy_url: { type: 'string', default: '', format: 'url', category: 'request', group: true, description: 'Outbound HTTP(S) proxy for upstream requests (empty: HTTP_PROXY/HTTPS_PROXY, or none)' },
  max_retries: int(3, 0, 100, 'request', true, 'Retries on another key after a failed attempt'),
  blacklist_threshold: int(3, 1, 1000, 'keys', true, 'Consecutive key-blaming failures before a key becomes invalid'),
  failover_status_codes: { type: 'string', default: '400-403,405-599', format: 'status-ranges', category: 'request', group: true, description: 'Upstream statuses retried on another key (ranges allowed); a 400, 404, 405, 413, 415 or 422 that does not name the key goes back to the client at once' },
  ban_status_codes: { type: 'string', default: '', format: 'status-ranges', category: 'keys', group: true, description: 'Upstream statuses that make a key invalid at once' },
  cooldown_seconds: int(60, 1, 86400, 'keys', true, 'Cooldown after a 429 when the provider gives no reset time'),
  key_rpm: int(0, 0, 1_000_000, 'keys', true, 'Requests per minute per key (0 = unlimited)'),
  key_tpm: int(0, 0, 1_000_000_000, 'keys', true, 'Tokens per minute per key (0 = unlimited); a key at it is skipped until the minute frees it'),
  key_concurrency: int(0, 0, 100_000, 'keys', true, 'Requests in flight per key on each instance (0 = unlimited)'),
  key_daily_requests: int(0, 0, 1_000_000_000, 'keys', true, 'Requests per key per day in budget_time_zone (0 = unlimited)'),
  queue_timeout_ms: int(0, 0, 600_000, 'request', true, 'Milliseconds a request waits for a key when every key of the group is at its pacing limit (0 = 429 at once)'),
  budget_time_zone: { type: 'string', default: 'UTC', format: 'time-zone', category: 'general', group: false, description: 'IANA time zone of the calendar periods of proxy-key budgets and key_daily_requests (e.g. Europe/Berlin)' },
  key_validation_interval_minutes: int(60, 0, 10080, 'keys', true, 'Minutes between background re-validations of invalid keys (0 = off)'),
  key_validation_concurrency: int(10, 1, 500, 'keys', true, 'Keys validated at once'),
  key_validation_timeout_seconds: int(20, 1, 600, 'keys', true, 'Seconds a validation request may take'),
} as const satisfies Record<string, SettingSpec>

type Table = typeof SETTINGS
type ValueOf<T extends SettingType> = T extends 'int' ? number : T extends 'bool' ? boolean : string

export type SettingKey = keyof Table
export type SettingsMap = { -readonly [K in SettingKey]: ValueOf<Table[K]['type']> }
/** The starred settings: what a group's `config` may override. */
export type GroupConfigKey = { [K in SettingKey]: Table[K]['group'] extends true ? K : never }[SettingKey]
export type GroupConfig = Partial<Pick<SettingsMap, GroupConfigKey>>

/** A row of the table as a list item, flattened (what `GET /api/settings` and the console walk). */
export type SettingDefinition = Common & {
  key: SettingKey
  type: SettingType
  default: number | boolean | string
  min?: number
  max?: number
  format?: 'url' | 'status-ranges' | 'time-zone'
}
export const SETTING_DEFINITIONS: readonly SettingDefinition[] = Object.entries(SETTINGS)
  .map(([key, spec]) => ({ key: key as SettingKey, ...spec }))

/** A setting as `GET /api/settings` answers it. */
export type SettingView = Pick<SettingDefinition, 'key' | 'type' | 'category' | 'description'> & {
  value: SettingsMap[SettingKey]
  default: SettingsMap[SettingKey]
  min: number | null
  max: number | null
  groupOverridable: boolean
}

export const GROUP_CONFIG_KEYS: readonly GroupConfigKey[] = SETTING_DEFINITIONS.filter(d => d.group).map(d => d.key as GroupConfigKey)

export const DEFAULT_SETTINGS = Object.fromEntries(SETTING_DEFINITIONS.map(d => [d.key, d.default])) as SettingsMap

/** System settings with a group's overrides applied (`base` itself when the group overrides nothing). */
export function withGroupConfig(base: SettingsMap, groupConfig: GroupConfig | Record<string, unknown> | undefined): SettingsMap {
  if (!groupConfig || !Object.keys(groupConfig).length) return base
  return { ...base, ...(groupConfig as GroupConfig) }
}

/** `"400-403,405-599"` → a test for a status; throws on malformed input. */
export function parseStatusRanges(spec: string): (status: number) => boolean {
  const ranges: [number, number][] = []
  for (const part of spec.split(',').map(s => s.trim()).filter(Boolean)) {
    const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(part)
    if (!m) throw new Error(`"${part}" is not a status or a range like 500-599`)
    const lo = Number(m[1]), hi = Number(m[2] ?? m[1])
    if (lo < 100 || hi > 599 || lo > hi) throw new Error(`"${part}" is not a valid status range`)
    ranges.push([lo, hi])
  }
  return status => ranges.some(([lo, hi]) => status >= lo && status <= hi)
}

/** Whether Intl knows the zone (works in the browser and on the server). */
export function isTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true } catch { return false }
}

function valueSchema(spec: SettingSpec): z.ZodType {
  if (spec.type === 'int') return z.number().int('must be a whole number').min(spec.min, `must be at least ${spec.min}`).max(spec.max, `must be at most ${spec.max}`)
  if (spec.type === 'bool') return z.boolean()
  const s = z.string().max(2000)
  if (spec.format === 'status-ranges')
    return s.superRefine((v, ctx) => { try { parseStatusRanges(v) } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }) } })
  if (spec.format === 'time-zone')
    return s.refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
  if (spec.format === 'url')
    return s.refine(v => v === '' || /^https?:\/\/[^\s]+$/i.test(v), 'must be an http(s):// URL or empty')
  return s
}

type OptionalShape<K extends SettingKey> = { [P in K]: z.ZodOptional<z.ZodType<SettingsMap[P]>> }
function optionalShape<K extends SettingKey>(keys: readonly K[]): OptionalShape<K> {
  return Object.fromEntries(keys.map(k => [k, valueSchema(SETTINGS[k]).optional()])) as OptionalShape<K>
}

/** `PATCH /api/settings` body: any subset, every value typed and in range, unknown keys refused. */
export const SettingsPatchSchema = z.strictObject(optionalShape(SETTING_DEFINITIONS.map(d => d.key)))

/** A group's `config`: exactly the starred keys. */
export const GroupConfigSchema = z.strictObject(optionalShape(GROUP_CONFIG_KEYS))
