import { createDecipheriv, pbkdf2Sync } from 'node:crypto'
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { eq } from 'drizzle-orm'
import mysql from 'mysql2/promise'
import type { Db } from '../../db/client'
import { CHANNEL_TYPES } from '../../shared/channels'
import { GroupCreateSchema, type GroupInput } from '../../shared/schemas/groups'
import { GroupConfigSchema, SettingsPatchSchema, type SettingsMap } from '../../shared/settings'
import { parseDatabaseDsn } from '../config/schema'
import type { ChangePublisher } from './changes'
import { createConsumerKeyService } from './consumerKeys'
import { access, insertedId } from './dbAccess'
import type { KeyCipher } from './keys/cipher'
import type { Settings } from './settings'

export type GptLoadImportDeps = { db: Db; cipher: KeyCipher; changes: ChangePublisher; settings: Pick<Settings, 'update'> }

/**
 * Reads a GPT-Load database (SQLite file or MySQL) and imports its groups, sub-groups, keys,
 * settings and proxy keys into Keygate. Idempotent: groups are matched by name, keys by hash,
 * proxy keys by hash, so a second run adds nothing.
 */

type Row = Record<string, unknown>
export type Source = { tables(): Promise<Set<string>>; all(sql: string, params?: unknown[]): Promise<Row[]>; close(): Promise<void> }

export async function openSource(dsn: string): Promise<Source> {
  const s = dsn.trim()
  const target = existsSync(s) ? { dialect: 'sqlite' as const, file: s } : parseDatabaseDsn(s, '.')
  if (target.dialect === 'sqlite') {
    if (!existsSync(target.file)) throw new Error(`GPT-Load database file not found: ${target.file}`)
    const db = new Database(target.file, { readonly: true, fileMustExist: true })
    return {
      async tables() { return new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(r => r.name)) },
      async all(sql, params = []) { return db.prepare(sql).all(...(params as never[])) as Row[] },
      async close() { db.close() },
    }
  }
  const conn = await mysql.createConnection({ uri: target.url, dateStrings: false, supportBigNumbers: true })
  return {
    async tables() { return new Set(((await conn.query('SHOW TABLES'))[0] as Row[]).map(r => String(Object.values(r)[0]))) },
    async all(sql, params = []) { return (await conn.query(sql, params))[0] as Row[] },
    async close() { await conn.end() },
  }
}

/**
 * GPT-Load's key encryption: AES-256-GCM, key = PBKDF2-SHA256(ENCRYPTION_KEY, "gpt-load-encryption-v1", 100000, 32),
 * value = hex(nonce ‖ ciphertext ‖ tag).
 */
export function gptLoadDecryptor(encryptionKey: string): (value: string) => string {
  if (!encryptionKey) return v => v
  const key = pbkdf2Sync(encryptionKey, 'gpt-load-encryption-v1', 100_000, 32, 'sha256')
  return (value) => {
    const data = Buffer.from(value, 'hex')
    if (data.length < 12 + 16 || data.toString('hex') !== value.toLowerCase()) throw new Error('not a GPT-Load ciphertext (is --encryption-key right?)')
    const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12))
    d.setAuthTag(data.subarray(data.length - 16))
    try { return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]).toString('utf8') } catch {
      throw new Error('a key failed to decrypt: --encryption-key does not match the GPT-Load database')
    }
  }
}

const json = <T>(v: unknown, fallback: T): T => {
  if (v === null || v === undefined || v === '') return fallback
  if (typeof v !== 'string') return (Buffer.isBuffer(v) ? JSON.parse(v.toString('utf8')) : v) as T
  try { return JSON.parse(v) as T } catch { return fallback }
}
const ms = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null
  const t = v instanceof Date ? v.getTime() : Date.parse(String(v).replace(' ', 'T'))
  return Number.isFinite(t) ? t : null
}
const splitList = (v: unknown) => String(v ?? '').split(/[\s,;]+/).map(s => s.trim()).filter(Boolean)

/** GPT-Load setting names and units that differ from Keygate's. */
const SETTING_ALIASES: Record<string, (v: string) => [string, unknown]> = {
  enable_request_body_logging: v => ['request_log_body', v === 'true' || v === '1'],
  request_log_write_interval_minutes: v => ['request_log_write_interval_seconds', Math.min(300, Math.max(1, Math.round(Number(v) * 60)))],
}

function typedValue(schema: typeof SettingsPatchSchema | typeof GroupConfigSchema, key: string, raw: unknown): [string, unknown] | null {
  const alias = SETTING_ALIASES[key]
  const [k, v] = alias ? alias(String(raw)) : [key, raw]
  const field = (schema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[k]
  if (!field) return null
  for (const candidate of [v, typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined, v === 'true' ? true : v === 'false' ? false : undefined]) {
    if (candidate === undefined) continue
    const r = field.safeParse(candidate)
    if (r.success && r.data !== undefined) return [k, r.data]
  }
  return null
}

export type ImportReport = {
  groups: { created: number; existing: number; skipped: { name: string; reason: string }[] }
  subGroups: number
  keys: { added: number; existing: number; failed: number }
  settings: { applied: string[]; ignored: string[] }
  proxyKeys: { created: number; existing: number }
}

const CHANNELS = new Set<string>(CHANNEL_TYPES)

function toGroupInput(r: Row): { ok: true; input: GroupInput } | { ok: false; reason: string } {
  const config: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(json<Record<string, unknown>>(r.config, {}))) {
    const t = typedValue(GroupConfigSchema, k, v)
    if (t) config[t[0]] = t[1]
  }
  const channel = String(r.channel_type ?? '')
  if (!CHANNELS.has(channel)) return { ok: false, reason: `channel type "${channel}" is not supported` }
  const candidate = {
    name: String(r.name),
    displayName: String(r.display_name ?? '').slice(0, 255),
    description: String(r.description ?? '').slice(0, 2000),
    type: r.group_type === 'aggregate' ? 'aggregate' : 'standard',
    channel,
    upstreams: json<{ url: string; weight?: number }[]>(r.upstreams, [])
      .map(u => ({ url: u.url, weight: Math.min(1000, Math.max(0, Math.round(u.weight ?? 1))) })),
    testModel: String(r.test_model ?? ''),
    validationPath: String(r.validation_endpoint ?? ''),
    models: [],
    modelRedirects: json<Record<string, string>>(r.model_redirect_rules, {}),
    modelRedirectStrict: !!Number(r.model_redirect_strict ?? 0) || r.model_redirect_strict === true,
    paramOverrides: json<Record<string, unknown>>(r.param_overrides, {}),
    headerRules: json<{ key: string; value?: string; action?: string }[]>(r.header_rules, []).map(h => ({ name: h.key, value: h.value ?? '', action: h.action === 'remove' ? 'remove' : 'set' })),
    // GPT-Load forwards any path; here a group reaches its channel's inference endpoints unless widened.
    allowedPaths: [],
    acceptsConversions: false,
    priceMultiplier: 1,
    config,
    // Sub-groups are linked in a second pass, once every group has its Keygate id.
    subGroups: r.group_type === 'aggregate' ? [{ groupId: 1, weight: 1 }] : [],
    enabled: r.enabled === undefined ? true : !!Number(r.enabled) || r.enabled === true,
    sort: Math.max(0, Number(r.sort ?? 0) || 0),
  }
  const parsed = GroupCreateSchema.safeParse(candidate)
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ') }
  return { ok: true, input: { ...parsed.data, subGroups: [] } }
}

type ImportedKey = {
  key: string
  status: string
  notes: string
  requests: number
  failures: number
  lastUsedAt: number | null
  createdAt: number
}

async function insertImportedKeys(handle: Db, cipher: KeyCipher, groupId: number, rows: ImportedKey[]): Promise<number> {
  if (!rows.length) return 0
  const now = Date.now()
  const values = rows.map(r => [groupId, cipher.hash(r.key), cipher.encrypt(r.key), r.status === 'invalid' ? 'invalid' : 'active', r.notes.slice(0, 1000), r.requests, r.failures, r.lastUsedAt, r.createdAt, now])
  const cols = 'group_id, key_hash, key_ciphertext, status, notes, request_count, failure_count, last_used_at, created_at, updated_at'
  if (handle.dialect === 'sqlite') {
    const stmt = handle.raw.prepare(`INSERT OR IGNORE INTO api_keys (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    return handle.raw.transaction(() => values.reduce((n, v) => n + stmt.run(...(v as never[])).changes, 0))()
  }
  const [res] = await handle.pool.query(`INSERT IGNORE INTO api_keys (${cols}) VALUES ?`, [values])
  return (res as { affectedRows: number }).affectedRows
}

export async function importFromGptLoad(
  deps: GptLoadImportDeps,
  source: Source,
  encryptionKey: string,
  log: (line: string) => void = () => {},
): Promise<ImportReport> {
  const { db: handle, cipher, changes } = deps
  const consumerKeys = createConsumerKeyService(deps)
  const report: ImportReport = {
    groups: { created: 0, existing: 0, skipped: [] },
    subGroups: 0,
    keys: { added: 0, existing: 0, failed: 0 },
    settings: { applied: [], ignored: [] },
    proxyKeys: { created: 0, existing: 0 },
  }
  const decrypt = gptLoadDecryptor(encryptionKey)
  const tables = await source.tables()
  for (const t of ['groups', 'api_keys']) if (!tables.has(t)) throw new Error(`not a GPT-Load database: table "${t}" is missing`)
  const { db, t } = access(handle)
  // A wrong --encryption-key would fail every key: stop before writing anything.
  const probe = (await source.all('SELECT key_value FROM api_keys ORDER BY id LIMIT 1'))[0]
  if (probe) decrypt(String(probe.key_value))
  // Proxy keys: secret → the Keygate groups it may use ('all' for GPT-Load's global ones).
  const proxySecrets = new Map<string, { groups: Set<number> | 'all'; name: string }>()
  const wantProxyKey = (secret: string, groupId: number | 'all', name: string) => {
    const cur = proxySecrets.get(secret)
    if (groupId === 'all') proxySecrets.set(secret, { groups: 'all', name })
    else if (!cur) proxySecrets.set(secret, { groups: new Set([groupId]), name })
    else if (cur.groups !== 'all') cur.groups.add(groupId)
  }

  // Settings first, so imported groups show endpoints under the right app_url.
  if (tables.has('system_settings')) {
    const patch: Record<string, unknown> = {}
    let globalProxyKeys: string[] = []
    for (const r of await source.all('SELECT setting_key, setting_value FROM system_settings')) {
      const key = String(r.setting_key)
      if (key === 'proxy_keys') { globalProxyKeys = splitList(r.setting_value); continue }
      const typed = typedValue(SettingsPatchSchema, key, r.setting_value)
      if (typed) { patch[typed[0]] = typed[1]; report.settings.applied.push(typed[0]) } else report.settings.ignored.push(key)
    }
    if (Object.keys(patch).length) await deps.settings.update(patch as Partial<SettingsMap>)
    for (const secret of globalProxyKeys) wantProxyKey(secret, 'all', 'GPT-Load global proxy key')
  }

  // Backticks quote identifiers in both MySQL and SQLite (GROUPS is reserved in MySQL 8).
  const sourceGroups = await source.all('SELECT * FROM `groups` ORDER BY id')
  const idMap = new Map<number, number>()
  const now = Date.now()
  for (const r of sourceGroups) {
    const name = String(r.name)
    const existing = (await db.select({ id: t.groups.id }).from(t.groups).where(eq(t.groups.name, name)).limit(1))[0]
    if (existing) { idMap.set(Number(r.id), existing.id); report.groups.existing++; continue }
    const g = toGroupInput(r)
    if (!g.ok) { report.groups.skipped.push({ name, reason: g.reason }); log(`group ${name} skipped: ${g.reason}`); continue }
    const { subGroups: _s, ...cols } = g.input
    const id = insertedId(await db.insert(t.groups).values({ ...cols, createdAt: ms(r.created_at) ?? now, updatedAt: now }))
    idMap.set(Number(r.id), id)
    report.groups.created++
  }

  if (tables.has('group_sub_groups')) {
    for (const r of await source.all('SELECT group_id, sub_group_id, weight FROM group_sub_groups ORDER BY id')) {
      const groupId = idMap.get(Number(r.group_id)), subGroupId = idMap.get(Number(r.sub_group_id))
      if (!groupId || !subGroupId) continue
      const weight = Math.min(1000, Math.max(0, Number(r.weight ?? 1)))
      const links = await db.select().from(t.groupSubGroups).where(eq(t.groupSubGroups.groupId, groupId))
      if (links.some(l => l.subGroupId === subGroupId)) continue
      await db.insert(t.groupSubGroups).values({ groupId, subGroupId, weight })
      report.subGroups++
    }
  }

  for (const r of sourceGroups) {
    const groupId = idMap.get(Number(r.id))
    if (!groupId) continue
    for (const secret of splitList(r.proxy_keys)) wantProxyKey(secret, groupId, `GPT-Load ${String(r.name)}`)
    let after = 0
    for (;;) {
      const rows = await source.all('SELECT * FROM api_keys WHERE group_id = ? AND id > ? ORDER BY id LIMIT 2000', [r.id, after])
      if (!rows.length) break
      after = Number(rows[rows.length - 1]!.id)
      const batch = []
      for (const k of rows) {
        try {
          batch.push({ key: decrypt(String(k.key_value)), status: String(k.status ?? 'active'), notes: String(k.notes ?? ''), requests: Number(k.request_count ?? 0), failures: Number(k.failure_count ?? 0), lastUsedAt: ms(k.last_used_at), createdAt: ms(k.created_at) ?? now })
        } catch (err) {
          report.keys.failed++
          if (report.keys.failed === 1) log(`key ${String(k.id)} of group ${String(r.name)}: ${(err as Error).message}`)
        }
      }
      const added = await insertImportedKeys(handle, cipher, groupId, batch)
      report.keys.added += added
      report.keys.existing += batch.length - added
    }
  }

  for (const [secret, want] of proxySecrets) {
    const existing = await db.select({ id: t.proxyKeys.id }).from(t.proxyKeys).where(eq(t.proxyKeys.keyHash, cipher.hash(secret))).limit(1)
    if (existing[0]) { report.proxyKeys.existing++; continue }
    if (secret.length < 8) { log(`a proxy key of ${want.name} was skipped: shorter than 8 characters`); continue }
    const groupIds = want.groups === 'all' ? [] : [...want.groups]
    await consumerKeys.create({ name: want.name, key: secret, groupIds, models: [], rpm: 0, tpm: 0, maxConcurrency: 0, budgetTokens: 0, budgetPeriod: 'none', budgetCost: 0, ipAllowlist: [], expiresAt: null, enabled: true }, { publish: false })
    report.proxyKeys.created++
  }

  await changes.publish({ type: 'groups' })
  for (const id of new Set(idMap.values())) await changes.publish({ type: 'keys', groupId: id })
  await changes.publish({ type: 'proxy-keys' })
  return report
}
