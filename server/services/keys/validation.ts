import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../../db/client'
import type { KeyTestResult } from '../../../shared/schemas/keys'
import { parseStatusRanges, withGroupConfig, type SettingsMap } from '../../../shared/settings'
import type { GroupRow, KeyStatus } from '../../../shared/types/rows'
import type { Logger } from '../../logger'
import type { ProxyEngine } from '../../proxy/ports'
import { keysChange } from '../changes'
import { access } from '../dbAccess'
import { getGroupRow } from '../groups'
import type { Settings } from '../settings'
import type { TaskContext } from '../tasks'
import { getKeyRow, iterateKeys, type KeyStoreDeps } from './rows'

/**
 * Key validation, whoever asks for it (the key test, the validate action, the background
 * re-validation of invalid keys): one policy for what a failure means, one database write.
 */

/** The group's channel-specific validation request: the proxy engine's `validateKey`. */
export type KeyValidator = ProxyEngine['validateKey']

/**
 * Whether a failed validation is the key's fault: auth and billing errors (4xx but a timeout or
 * a rate limit), or a status the group bans outright. Network errors and 5xx are the provider's.
 */
export function validationBlamesKey(group: GroupRow, r: KeyTestResult, system: SettingsMap): boolean {
  if (r.ok || r.status === 0) return false
  let banned = false
  try { banned = parseStatusRanges(withGroupConfig(system, group.config).ban_status_codes)(r.status) } catch { /* bad setting: ignore */ }
  return banned || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)
}

export type ValidationOutcome = { ok: boolean; blamesKey: boolean; error: string | null }

/**
 * Records a validation outcome on a key: success makes it active with a clean slate, a failure
 * that blames the key makes it invalid, any other failure only notes the error. A disabled key
 * stays disabled (only an admin enables it). `onlyIf`: leave the row alone unless it still holds
 * this status (the background pass must not undo an admin's change made while it ran).
 */
export async function recordValidation(handle: Db, id: number, outcome: ValidationOutcome, opts: { onlyIf?: KeyStatus } = {}) {
  const { db, t } = access(handle)
  const now = Date.now()
  const keepDisabled = (next: KeyStatus) => sql`CASE WHEN ${t.apiKeys.status} = 'disabled' THEN 'disabled' ELSE ${next} END`
  const where: SQL = and(eq(t.apiKeys.id, id), opts.onlyIf ? eq(t.apiKeys.status, opts.onlyIf) : undefined)!
  if (outcome.ok)
    await db.update(t.apiKeys).set({ status: keepDisabled('active') as unknown as KeyStatus, consecutiveFailures: 0, cooldownUntil: null, lastError: null, updatedAt: now }).where(where)
  else if (outcome.blamesKey)
    await db.update(t.apiKeys).set({ status: keepDisabled('invalid') as unknown as KeyStatus, lastError: outcome.error, updatedAt: now }).where(where)
  else await db.update(t.apiKeys).set({ lastError: outcome.error, updatedAt: now }).where(where)
}

export type ValidationDeps = KeyStoreDeps & { settings: Pick<Settings, 'current'>; validate: KeyValidator }

/** Validates one key and records the outcome; the caller publishes the change notice. */
async function validateAndRecord(
  deps: ValidationDeps,
  group: GroupRow,
  id: number,
  key: string,
  opts: { timeoutMs?: number; onlyIf?: KeyStatus } = {},
) {
  const r = await deps.validate(group, key, opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs })
  const blamesKey = validationBlamesKey(group, r, deps.settings.current())
  await recordValidation(deps.db, id, { ok: r.ok, blamesKey, error: r.error }, { onlyIf: opts.onlyIf })
  return { result: r, blamesKey }
}

/** `POST /api/keys/{id}/test`: one validation request, its outcome recorded on the key. */
export async function testKey(deps: ValidationDeps, id: number): Promise<KeyTestResult> {
  const row = await getKeyRow(deps.db, id)
  const group = await getGroupRow(deps.db, row.groupId)
  const { result: r } = await validateAndRecord(deps, group, id, deps.cipher.decrypt(row.keyCiphertext))
  await deps.changes.publish(keysChange(row.groupId, [id]))
  return { ok: r.ok, status: r.status, latencyMs: r.latencyMs, error: r.error }
}

/** The validate action: the matching keys (all but disabled ones unless a status is given) with the group's concurrency. */
export async function validateKeys(deps: ValidationDeps, group: GroupRow, status: KeyStatus | undefined, hashes: string[] | null, ctx: Pick<TaskContext, 'signal' | 'setTotal' | 'advance'>) {
  const { db, t } = access(deps.db)
  const k = t.apiKeys
  const where = and(eq(k.groupId, group.id), status ? eq(k.status, status) : undefined)
  const rows = await db.select({ id: k.id, status: k.status, keyHash: k.keyHash }).from(k).where(where)
  const wantedHashes = hashes ? new Set(hashes) : null
  const wanted = new Set(rows.filter(r => (status || r.status !== 'disabled') && (!wantedHashes || wantedHashes.has(r.keyHash))).map(r => r.id))
  ctx.setTotal(wanted.size)
  const concurrency = Math.max(1, withGroupConfig(deps.settings.current(), group.config).key_validation_concurrency)
  const result = { valid: 0, invalid: 0, failed: 0 }
  for await (const page of iterateKeys(deps.db, deps.cipher, group.id, status)) {
    const todo = page.filter(p => wanted.has(p.row.id))
    for (let i = 0; i < todo.length; i += concurrency) {
      if (ctx.signal.aborted) throw new Error('aborted')
      await Promise.all(todo.slice(i, i + concurrency).map(async ({ row, key }) => {
        const { result: r, blamesKey } = await validateAndRecord(deps, group, row.id, key)
        if (r.ok) result.valid++
        else if (blamesKey) result.invalid++
        else result.failed++
        ctx.advance(1)
      }))
    }
  }
  if (wanted.size) await deps.changes.publish(keysChange(group.id, wanted))
  return result
}

/**
 * The background re-validation of invalid keys, as one pass to run every minute under a lease:
 * for every enabled standard group whose `key_validation_interval_minutes` has come round, re-tests
 * its invalid keys (at most `key_validation_concurrency` at a time), records the outcomes, and
 * publishes a notice naming them so every instance's pool reloads them. The returned pass keeps
 * when it last ran each group: a group's first pass comes one interval after this pass first sees
 * it, so a key banned a moment ago is not re-tested straight away.
 */
export function createInvalidKeyRevalidation(deps: ValidationDeps & { log: Logger }) {
  const lastRun = new Map<number, number>()
  return async function revalidateInvalidKeys(signal: AbortSignal, now = Date.now()): Promise<void> {
    const { db, t } = access(deps.db)
    const groups = await db.select().from(t.groups).where(and(eq(t.groups.type, 'standard'), eq(t.groups.enabled, true)))
    for (const group of groups) {
      if (signal.aborted) return
      const settings = withGroupConfig(deps.settings.current(), group.config)
      const interval = settings.key_validation_interval_minutes * 60_000
      const last = lastRun.get(group.id)
      if (last === undefined) { lastRun.set(group.id, now); continue }
      if (interval <= 0 || now - last < interval) continue
      lastRun.set(group.id, now)
      let seen = 0
      let restored = 0
      const validated: number[] = []
      for await (const page of iterateKeys(deps.db, deps.cipher, group.id, 'invalid')) {
        seen += page.length
        let next = 0
        const worker = async () => {
          while (next < page.length && !signal.aborted) {
            const { row, key } = page[next++]!
            const { result } = await validateAndRecord(deps, group, row.id, key, { timeoutMs: settings.key_validation_timeout_seconds * 1000, onlyIf: 'invalid' })
            validated.push(row.id)
            if (result.ok) restored++
          }
        }
        await Promise.all(Array.from({ length: Math.min(Math.max(1, settings.key_validation_concurrency), page.length) }, worker))
        if (signal.aborted) break
      }
      if (validated.length) await deps.changes.publish(keysChange(group.id, validated))
      if (seen) deps.log.info(`key validation: group ${group.name}: ${restored} of ${seen} invalid keys restored`)
    }
  }
}
