import { expectTypeOf, test } from 'vitest'
import type { z } from 'zod'
import type { GroupConfigSchema, SettingsPatchSchema,
  GroupConfig, GroupConfigKey, SettingKey, SettingsMap } from '../../../shared/settings'
import {
  DEFAULT_SETTINGS,
} from '../../../shared/settings'

// The shape server code relies on, written out by hand once more here (and only here) so that a
// change to the table that changes a type fails this test instead of silently retyping the server.
type Expected = {
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
  key_tpm: number
  key_concurrency: number
  key_daily_requests: number
  queue_timeout_ms: number
  budget_time_zone: string
  key_validation_interval_minutes: number
  key_validation_concurrency: number
  key_validation_timeout_seconds: number
}
type ExpectedGroupKey = 'request_log_body' | 'request_timeout' | 'connect_timeout' | 'response_header_timeout' | 'idle_conn_timeout'
  | 'max_idle_conns' | 'proxy_url' | 'max_retries' | 'blacklist_threshold' | 'failover_status_codes' | 'ban_status_codes'
  | 'cooldown_seconds' | 'key_rpm' | 'key_tpm' | 'key_concurrency' | 'key_daily_requests' | 'queue_timeout_ms' | 'key_validation_interval_minutes' | 'key_validation_concurrency' | 'key_validation_timeout_seconds'

test('SettingsMap derived from the table has every setting with its value type', () => {
  expectTypeOf<SettingsMap>().toEqualTypeOf<Expected>()
  expectTypeOf<SettingsMap['key_rpm']>().toEqualTypeOf<number>()
  expectTypeOf<SettingsMap['proxy_url']>().toEqualTypeOf<string>()
  expectTypeOf<SettingsMap['request_log_body']>().toEqualTypeOf<boolean>()
  expectTypeOf<SettingKey>().toEqualTypeOf<keyof Expected>()
  expectTypeOf(DEFAULT_SETTINGS).toEqualTypeOf<SettingsMap>()
})

test('GroupConfigKey is exactly the starred settings', () => {
  expectTypeOf<GroupConfigKey>().toEqualTypeOf<ExpectedGroupKey>()
  expectTypeOf<GroupConfig>().toEqualTypeOf<Partial<Pick<Expected, ExpectedGroupKey>>>()
  // Not starred: app_url and the log retention settings.
  expectTypeOf<'app_url'>().not.toExtend<GroupConfigKey>()
  expectTypeOf<'request_log_retention_days'>().not.toExtend<GroupConfigKey>()
})

test('the schemas infer the same shapes the server reads', () => {
  expectTypeOf<z.infer<typeof SettingsPatchSchema>>().toEqualTypeOf<{ [K in keyof Expected]?: Expected[K] | undefined }>()
  expectTypeOf<z.infer<typeof GroupConfigSchema>>().toEqualTypeOf<{ [K in ExpectedGroupKey]?: Expected[K] | undefined }>()
  expectTypeOf<z.infer<typeof GroupConfigSchema>>().toExtend<GroupConfig>()
})
