import { z } from 'zod'

/**
 * System settings (CONTRACT §3). `group: true` marks the starred ones that a group's `config`
 * may override. Defaults follow GPT-Load where it has the setting.
 */
export type SettingType = 'int' | 'bool' | 'string'
export type SettingDefinition = {
  key: string
  type: SettingType
  default: number | boolean | string
  min?: number
  max?: number
  category: 'general' | 'logging' | 'request' | 'keys'
  description: string
  group: boolean
}

const int = (key: string, def: number, min: number, max: number, category: SettingDefinition['category'], group: boolean, description: string): SettingDefinition =>
  ({ key, type: 'int', default: def, min, max, category, description, group })

export const SETTING_DEFINITIONS: readonly SettingDefinition[] = [
  { key: 'app_url', type: 'string', default: 'http://localhost:3001', category: 'general', group: false, description: 'Public base URL of this gateway, used to show endpoints in the console' },
  int('request_log_retention_days', 7, 0, 3650, 'logging', false, 'Days to keep request logs (0 keeps them forever)'),
  int('request_log_write_interval_seconds', 1, 1, 300, 'logging', false, 'Longest a request log record waits in memory before it is written (a full batch is written at once)'),
  { key: 'request_log_body', type: 'bool', default: false, category: 'logging', group: true, description: 'Store request and response bodies in the request log' },
  int('request_timeout', 600, 1, 86400, 'request', true, 'Seconds an upstream request may take in total'),
  int('connect_timeout', 15, 1, 600, 'request', true, 'Seconds to establish a connection to an upstream'),
  int('response_header_timeout', 600, 1, 86400, 'request', true, 'Seconds to wait for upstream response headers'),
  int('idle_conn_timeout', 120, 1, 3600, 'request', true, 'Seconds an idle upstream connection is kept open'),
  int('max_idle_conns', 100, 1, 10000, 'request', true, 'Idle connections kept per upstream origin'),
  { key: 'proxy_url', type: 'string', default: '', category: 'request', group: true, description: 'Outbound HTTP(S) proxy for upstream requests (empty: HTTP_PROXY/HTTPS_PROXY, or none)' },
  int('max_retries', 3, 0, 100, 'request', true, 'Retries on another key after a failed attempt'),
  int('blacklist_threshold', 3, 1, 1000, 'keys', true, 'Consecutive key-blaming failures before a key becomes invalid'),
  { key: 'failover_status_codes', type: 'string', default: '400-403,405-599', category: 'request', group: true, description: 'Upstream statuses retried on another key (ranges allowed)' },
  { key: 'ban_status_codes', type: 'string', default: '', category: 'keys', group: true, description: 'Upstream statuses that make a key invalid at once' },
  int('cooldown_seconds', 60, 1, 86400, 'keys', true, 'Cooldown after a 429 when the provider gives no reset time'),
  int('key_rpm', 0, 0, 1_000_000, 'keys', true, 'Requests per minute per key (0 = unlimited)'),
  int('key_validation_interval_minutes', 60, 0, 10080, 'keys', true, 'Minutes between background re-validations of invalid keys (0 = off)'),
  int('key_validation_concurrency', 10, 1, 500, 'keys', true, 'Keys validated at once'),
  int('key_validation_timeout_seconds', 20, 1, 600, 'keys', true, 'Seconds a validation request may take'),
] as const

export type SettingsMap = {
  app_url: string
  request_log_retention_days: number
  request_log_write_interval_seconds: number
  request_log_body: boolean
  request_timeout: number
  connect_timeout: number
  response_header_timeout: number
  idle_conn_timeout: number
  max_idle_conns: number
  proxy_url: string
  max_retries: number
  blacklist_threshold: number
  failover_status_codes: string
  ban_status_codes: string
  cooldown_seconds: number
  key_rpm: number
  key_validation_interval_minutes: number
  key_validation_concurrency: number
  key_validation_timeout_seconds: number
}
export type SettingKey = keyof SettingsMap
/** The starred settings: what a group's `config` may override. */
export type GroupConfigKey = 'request_log_body' | 'request_timeout' | 'connect_timeout' | 'response_header_timeout' | 'idle_conn_timeout'
  | 'max_idle_conns' | 'proxy_url' | 'max_retries' | 'blacklist_threshold' | 'failover_status_codes' | 'ban_status_codes'
  | 'cooldown_seconds' | 'key_rpm' | 'key_validation_interval_minutes' | 'key_validation_concurrency' | 'key_validation_timeout_seconds'
export type GroupConfig = Partial<Pick<SettingsMap, GroupConfigKey>>

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

function valueSchema(d: SettingDefinition) {
  if (d.type === 'int') return z.number().int('must be a whole number').min(d.min!, `must be at least ${d.min}`).max(d.max!, `must be at most ${d.max}`)
  if (d.type === 'bool') return z.boolean()
  let s = z.string().max(2000)
  if (d.key.endsWith('_status_codes')) {
    return s.superRefine((v, ctx) => { try { parseStatusRanges(v) } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }) } })
  }
  if (d.key === 'proxy_url' || d.key === 'app_url') {
    return s.refine(v => v === '' || /^https?:\/\/[^\s]+$/i.test(v), 'must be an http(s):// URL or empty')
  }
  return s
}

/** `PATCH /api/settings` body: any subset, every value typed and in range, unknown keys refused. */
export const SettingsPatchSchema = z.strictObject(
  Object.fromEntries(SETTING_DEFINITIONS.map(d => [d.key, valueSchema(d).optional()])) as unknown as { [K in SettingKey]: z.ZodOptional<z.ZodType<SettingsMap[K]>> },
)

/** A group's `config`: exactly the starred keys. */
export const GroupConfigSchema = z.strictObject(
  Object.fromEntries(SETTING_DEFINITIONS.filter(d => d.group).map(d => [d.key, valueSchema(d).optional()])) as unknown as { [K in GroupConfigKey]: z.ZodOptional<z.ZodType<SettingsMap[K]>> },
)
