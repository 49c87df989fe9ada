import { like, not } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mysqlSchema, sqliteSchema } from '../../db/client'
import { DEFAULT_SETTINGS, SETTING_DEFINITIONS, type GroupConfig, type SettingKey, type SettingsMap } from '../../shared/settings'
import { publishChange } from './changes'

let current: SettingsMap = { ...DEFAULT_SETTINGS }
const KNOWN = new Set<string>(SETTING_DEFINITIONS.map(d => d.key))

/** The settings in force on this instance: a synchronous read for the hot path. */
export function getSettings(): SettingsMap { return current }

/** System settings with a group's overrides applied. */
export function effectiveSettings(groupConfig: GroupConfig | Record<string, unknown> | undefined): SettingsMap {
  if (!groupConfig || !Object.keys(groupConfig).length) return current
  return { ...current, ...(groupConfig as GroupConfig) }
}

/** Reads the stored settings into memory (at boot and whenever any instance changes them). */
export async function loadSettings(handle: Db): Promise<SettingsMap> {
  // Rows starting with "_" are internal (e.g. the encryption check), not settings.
  const rows = handle.dialect === 'sqlite'
    ? handle.db.select().from(sqliteSchema.settings).where(not(like(sqliteSchema.settings.key, '\\_%'))).all()
    : await handle.db.select().from(mysqlSchema.settings).where(not(like(mysqlSchema.settings.key, '\\_%')))
  const next: Record<string, unknown> = { ...DEFAULT_SETTINGS }
  for (const r of rows) if (KNOWN.has(r.key)) next[r.key] = r.value
  current = next as SettingsMap
  return current
}

/** Stores a validated patch and tells every instance to reload. */
export async function updateSettings(handle: Db, patch: Partial<SettingsMap>): Promise<SettingsMap> {
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
  await publishChange({ type: 'settings' })
  return current
}

/** `GET /api/settings`: every setting with its metadata and current value. */
export function describeSettings() {
  return SETTING_DEFINITIONS.map(d => ({
    key: d.key,
    value: current[d.key as SettingKey],
    default: d.default,
    type: d.type,
    min: d.min ?? null,
    max: d.max ?? null,
    category: d.category,
    description: d.description,
    groupOverridable: d.group,
  }))
}
