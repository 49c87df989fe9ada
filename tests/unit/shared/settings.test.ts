import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SETTINGS, GROUP_CONFIG_KEYS, GroupConfigSchema, SETTING_DEFINITIONS, SETTINGS, SettingsPatchSchema, withGroupConfig,
} from '../../../shared/settings'

const STARRED = ['request_log_body', 'request_timeout', 'connect_timeout', 'response_header_timeout', 'idle_conn_timeout',
  'max_idle_conns', 'proxy_url', 'max_retries', 'blacklist_threshold', 'failover_status_codes', 'ban_status_codes',
  'cooldown_seconds', 'key_rpm', 'key_tpm', 'key_concurrency', 'key_daily_requests', 'queue_timeout_ms', 'key_validation_interval_minutes', 'key_validation_concurrency', 'key_validation_timeout_seconds']

describe('settings derived from the one table', () => {
  it('defaults are the documented ones (CONTRACT §3) and pass their own PATCH schema', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      app_url: 'http://localhost:3001', request_log_retention_days: 7, request_log_write_interval_seconds: 1, request_log_body: false,
      request_timeout: 600, connect_timeout: 15, response_header_timeout: 600, idle_conn_timeout: 120, max_idle_conns: 100,
      proxy_url: '', max_retries: 3, blacklist_threshold: 3, failover_status_codes: '400-403,405-599', ban_status_codes: '',
      cooldown_seconds: 60, key_rpm: 0,
      key_validation_interval_minutes: 60, key_validation_concurrency: 10, key_validation_timeout_seconds: 20,
    })
    expect(Object.keys(DEFAULT_SETTINGS)).toEqual(Object.keys(SETTINGS))
    expect(SettingsPatchSchema.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS)
  })

  it('lists every setting in table order with its metadata', () => {
    expect(SETTING_DEFINITIONS.map(d => d.key)).toEqual(Object.keys(SETTINGS))
    expect(SETTING_DEFINITIONS.find(d => d.key === 'max_retries')).toMatchObject({ type: 'int', min: 0, max: 100, category: 'request', group: true })
    expect(SETTING_DEFINITIONS.find(d => d.key === 'app_url')).toMatchObject({ type: 'string', category: 'general', group: false })
  })

  it('PATCH schema takes any subset and refuses unknown keys, wrong types and out-of-range numbers', () => {
    expect(SettingsPatchSchema.parse({ key_rpm: 60, proxy_url: 'http://proxy:3128' })).toEqual({ key_rpm: 60, proxy_url: 'http://proxy:3128' })
    expect(SettingsPatchSchema.parse({})).toEqual({})
    const issue = (body: unknown) => SettingsPatchSchema.safeParse(body).error?.issues[0]
    expect(issue({ not_a_setting: 1 })).toMatchObject({ code: 'unrecognized_keys', keys: ['not_a_setting'] })
    expect(issue({ max_retries: 101 })).toMatchObject({ path: ['max_retries'], message: 'must be at most 100' })
    expect(issue({ connect_timeout: 0 })).toMatchObject({ path: ['connect_timeout'], message: 'must be at least 1' })
    expect(issue({ key_rpm: 1.5 })).toMatchObject({ path: ['key_rpm'], message: 'must be a whole number' })
    expect(issue({ request_log_body: 'yes' })?.path).toEqual(['request_log_body'])
    expect(issue({ proxy_url: 'socks://x' })).toMatchObject({ path: ['proxy_url'], message: 'must be an http(s):// URL or empty' })
    expect(issue({ failover_status_codes: '500-abc' })).toMatchObject({ path: ['failover_status_codes'], message: '"500-abc" is not a status or a range like 500-599' })
  })

  it('group config schema accepts exactly the starred keys', () => {
    expect([...GROUP_CONFIG_KEYS].sort()).toEqual([...STARRED].sort())
    expect(Object.keys(GroupConfigSchema.shape).sort()).toEqual([...STARRED].sort())
    for (const key of STARRED)
      expect(GroupConfigSchema.safeParse({ [key]: DEFAULT_SETTINGS[key as keyof typeof DEFAULT_SETTINGS] }).success, key).toBe(true)
    for (const key of Object.keys(SETTINGS).filter(k => !STARRED.includes(k)))
      expect(GroupConfigSchema.safeParse({ [key]: DEFAULT_SETTINGS[key as keyof typeof DEFAULT_SETTINGS] }).success, key).toBe(false)
    expect(GroupConfigSchema.safeParse({ key_rpm: -1 }).success).toBe(false)
  })

  it('withGroupConfig lays a group override over the system settings', () => {
    expect(withGroupConfig(DEFAULT_SETTINGS, {})).toBe(DEFAULT_SETTINGS)
    expect(withGroupConfig(DEFAULT_SETTINGS, { key_rpm: 5 })).toEqual({ ...DEFAULT_SETTINGS, key_rpm: 5 })
  })
})
