import { like, not } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mysqlSchema, sqliteSchema } from '../../db/client'
import { DEFAULT_SETTINGS, SETTING_DEFINITIONS, withGroupConfig, type GroupConfig, type SettingKey, type SettingsMap } from '../../shared/settings'
import type { ChangeFeed } from './changes'

const KNOWN = new Set<string>(SETTING_DEFINITIONS.map(d => d.key))

export interface Settings {
  /** The settings in force on this instance: a synchronous read for the hot path (the same object until they change). */
  current(): SettingsMap
  /** System settings with a group's overrides applied. */
  effective(groupConfig: GroupConfig | Record<string, unknown> | undefined): SettingsMap
  /** Reads the stored settings into memory (at boot, and whenever any instance changes them). */
  load(): Promise<SettingsMap>
  /** Stores a validated patch and tells every instance to reload. */
  update(patch: Partial<SettingsMap>): Promise<SettingsMap>
  /** `GET /api/settings`: every setting with its metadata and current value. */
  describe(): SettingDescription[]
}

export type SettingDescription = {
  key: string
  value: unknown
  default: unknown
  type: string
  min: number | null
  max: number | null
  category: string
  description: string
  groupOverridable: boolean
}

/**
 * The system settings of this instance. Defaults until `load()`; follows `settings` notices from
 * the feed, so a change made on any instance applies here too.
 */
export function createSettings(handle: Db, changes: Pick<ChangeFeed, 'publish' | 'subscribe'>): Settings {
  let current: SettingsMap = { ...DEFAULT_SETTINGS }

  async function load(): Promise<SettingsMap> {
    // Rows starting with "_" are internal (e.g. the encryption check), not settings.
    const rows = handle.dialect === 'sqlite'
      ? handle.db.select().from(sqliteSchema.settings).where(not(like(sqliteSchema.settings.key, '\\_%'))).all()
      : await handle.db.select().from(mysqlSchema.settings).where(not(like(mysqlSchema.settings.key, '\\_%')))
    const next: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    for (const r of rows) if (KNOWN.has(r.key)) next[r.key] = r.value
    current = next as SettingsMap
    return current
  }

  async function update(patch: Partial<SettingsMap>): Promise<SettingsMap> {
    const now = Date.now()
    const entries = Object.entries(patch).filter(([k, v]) => KNOWN.has(k) && v !== undefined) as [SettingKey, unknown][]
    if (handle.dialect === 'sqlite') {
      const t = sqliteSchema.settings
      handle.db.transaction((tx) => {
        for (const [key, value] of entries)
          tx.insert(t).values({ key, value, updatedAt: now }).onConflictDoUpdate({ target: t.key, set: { value, updatedAt: now } }).run()
      })
    } else {
      const t = mysqlSchema.settings
      await handle.db.transaction(async (tx) => {
        for (const [key, value] of entries)
          await tx.insert(t).values({ key, value, updatedAt: now }).onDuplicateKeyUpdate({ set: { value, updatedAt: now } })
      })
    }
    current = { ...current, ...Object.fromEntries(entries) }
    await changes.publish({ type: 'settings' })
    return current
  }

  changes.subscribe(c => c.type === 'settings' ? load().then(() => {}) : undefined)

  return {
    current: () => current,
    effective: groupConfig => withGroupConfig(current, groupConfig),
    load,
    update,
    describe: () => SETTING_DEFINITIONS.map(d => ({
      key: d.key,
      value: current[d.key as SettingKey],
      default: d.default,
      type: d.type,
      min: d.min ?? null,
      max: d.max ?? null,
      category: d.category,
      description: d.description,
      groupOverridable: d.group,
    })),
  }
}
