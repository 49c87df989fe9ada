import { expectTypeOf, test } from 'vitest'
import type * as my from '../../../db/schema/mysql'
import type * as lite from '../../../db/schema/sqlite'
import type {
  ApiKeyRow, GroupRow, GroupSubGroupRow, HourlyStatRow, MinuteStatRow, ProxyKeyRow, ProxyKeyStatRow, RequestLogRow, SettingRow, TaskRow,
} from '../../../shared/types/rows'

// Both dialects' schemas must infer exactly the row types that shared/ declares, so services
// and pages can rely on one shape whatever database is configured.
test('SQLite schema rows match shared/types/rows.ts', () => {
  expectTypeOf<typeof lite.groups.$inferSelect>().toEqualTypeOf<GroupRow>()
  expectTypeOf<typeof lite.groupSubGroups.$inferSelect>().toEqualTypeOf<GroupSubGroupRow>()
  expectTypeOf<typeof lite.apiKeys.$inferSelect>().toEqualTypeOf<ApiKeyRow>()
  expectTypeOf<typeof lite.proxyKeys.$inferSelect>().toEqualTypeOf<ProxyKeyRow>()
  expectTypeOf<typeof lite.requestLogs.$inferSelect>().toEqualTypeOf<RequestLogRow>()
  expectTypeOf<typeof lite.hourlyStats.$inferSelect>().toEqualTypeOf<HourlyStatRow>()
  expectTypeOf<typeof lite.proxyKeyStats.$inferSelect>().toEqualTypeOf<ProxyKeyStatRow>()
  expectTypeOf<typeof lite.minuteStats.$inferSelect>().toEqualTypeOf<MinuteStatRow>()
  expectTypeOf<typeof lite.settings.$inferSelect>().toEqualTypeOf<SettingRow>()
  expectTypeOf<typeof lite.tasks.$inferSelect>().toEqualTypeOf<TaskRow>()
})

test('MySQL schema rows match shared/types/rows.ts', () => {
  expectTypeOf<typeof my.groups.$inferSelect>().toEqualTypeOf<GroupRow>()
  expectTypeOf<typeof my.groupSubGroups.$inferSelect>().toEqualTypeOf<GroupSubGroupRow>()
  expectTypeOf<typeof my.apiKeys.$inferSelect>().toEqualTypeOf<ApiKeyRow>()
  expectTypeOf<typeof my.proxyKeys.$inferSelect>().toEqualTypeOf<ProxyKeyRow>()
  expectTypeOf<typeof my.requestLogs.$inferSelect>().toEqualTypeOf<RequestLogRow>()
  expectTypeOf<typeof my.hourlyStats.$inferSelect>().toEqualTypeOf<HourlyStatRow>()
  expectTypeOf<typeof my.proxyKeyStats.$inferSelect>().toEqualTypeOf<ProxyKeyStatRow>()
  expectTypeOf<typeof my.minuteStats.$inferSelect>().toEqualTypeOf<MinuteStatRow>()
  expectTypeOf<typeof my.settings.$inferSelect>().toEqualTypeOf<SettingRow>()
  expectTypeOf<typeof my.tasks.$inferSelect>().toEqualTypeOf<TaskRow>()
})
