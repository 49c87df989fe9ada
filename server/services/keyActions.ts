import { and, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { KeyActionInput, KeyTestResult } from '../../shared/schemas/keys'
import { parseStatusRanges } from '../../shared/settings'
import type { GroupRow, KeyStatus } from '../../shared/types/rows'
import { publishChange } from './changes'
import { access, affectedRows } from './dbAccess'
import { invalid } from './errors'
import { getGroupRow } from './groups'
import { getKeyRow, iterateKeys, recordValidation } from './keys'
import { splitKeys } from './keyImport'
import type { KeyCipher } from './keyCipher'
import { effectiveSettings } from './settings'
import { startTask, type TaskDeps } from './tasks'

/** The channel-specific validation request (server/proxy/validation.ts), injected so this module stays testable. */
export type KeyValidator = (group: GroupRow, key: string, opts?: { timeoutMs?: number }) => Promise<KeyTestResult>

type Deps = TaskDeps & { cipher: KeyCipher }
const HASH_CHUNK = 500

/**
 * Whether a failed validation is the key's fault: auth and billing errors (4xx but a timeout or
 * a rate limit), or a status the group bans outright. Network errors and 5xx are the provider's.
 */
export function validationBlamesKey(group: GroupRow, r: KeyTestResult): boolean {
  if (r.ok || r.status === 0) return false
  let banned = false
  try { banned = parseStatusRanges(effectiveSettings(group.config).ban_status_codes)(r.status) } catch { /* bad setting: ignore */ }
  return banned || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)
}

/** `POST /api/keys/{id}/test`: one validation request, its outcome recorded on the key. */
export async function testKey(handle: Db, cipher: KeyCipher, validate: KeyValidator, id: number): Promise<KeyTestResult> {
  const row = await getKeyRow(handle, id)
  const group = await getGroupRow(handle, row.groupId)
  const r = await validate(group, cipher.decrypt(row.keyCiphertext))
  await recordValidation(handle, id, { ok: r.ok, blamesKey: validationBlamesKey(group, r), error: r.error })
  await publishChange({ type: 'keys', groupId: row.groupId })
  return { ok: r.ok, status: r.status, latencyMs: r.latencyMs, error: r.error }
}

/** Hashes of the keys named in an action's `keys` (text in any separator, or an array). */
function hashesOf(cipher: KeyCipher, keys: KeyActionInput['keys']): string[] | null {
  if (keys === undefined) return null
  const { keys: list } = splitKeys(keys)
  if (!list.length) throw invalid('keys', 'no keys found')
  return [...new Set(list.map(k => cipher.hash(k)))]
}

/** Runs a restore/delete over the matching keys, in chunks of named keys so no statement grows unbounded. */
async function bulkWrite(handle: Db, groupId: number, status: KeyStatus | undefined, hashes: string[] | null, write: (where: SQL) => Promise<unknown>): Promise<number> {
  const { t } = access(handle)
  const base = and(eq(t.apiKeys.groupId, groupId), status ? eq(t.apiKeys.status, status) : undefined)!
  if (!hashes) return affectedRows(await write(base))
  let n = 0
  for (let i = 0; i < hashes.length; i += HASH_CHUNK)
    n += affectedRows(await write(and(base, inArray(t.apiKeys.keyHash, hashes.slice(i, i + HASH_CHUNK)))!))
  return n
}

/** `POST /api/groups/{id}/keys/actions`: every action is a task, one key-changing task per group. */
export async function startKeyAction(deps: Deps, validate: KeyValidator, groupId: number, input: KeyActionInput) {
  const group = await getGroupRow(deps.db, groupId)
  if (group.type === 'aggregate') throw invalid('groupId', 'an aggregate group has no keys of its own')
  const hashes = hashesOf(deps.cipher, input.keys)
  const { db, t } = access(deps.db)
  const now = () => Date.now()

  if (input.action === 'validate') {
    return startTask(deps, { type: 'validate-keys', groupId, exclusive: true }, ctx => validateAll(deps, validate, group, input.status, hashes, ctx))
  }
  const type = `${input.action}-keys`
  return startTask(deps, { type, groupId, exclusive: true }, async (ctx) => {
    let affected = 0
    if (input.action === 'restore-invalid')
      affected = await bulkWrite(deps.db, groupId, 'invalid', hashes, where => db.update(t.apiKeys).set({ status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null, updatedAt: now() }).where(where))
    else if (input.action === 'delete-invalid')
      affected = await bulkWrite(deps.db, groupId, 'invalid', hashes, where => db.delete(t.apiKeys).where(where))
    else affected = await bulkWrite(deps.db, groupId, input.status, hashes, where => db.delete(t.apiKeys).where(where))
    ctx.setTotal(affected)
    ctx.advance(affected)
    if (affected) await publishChange({ type: 'keys', groupId })
    return input.action === 'restore-invalid' ? { restored: affected } : { deleted: affected }
  })
}

/** Validates the matching keys (all but disabled ones unless a status is given) with the group's concurrency. */
async function validateAll(deps: Deps, validate: KeyValidator, group: GroupRow, status: KeyStatus | undefined, hashes: string[] | null, ctx: { signal: AbortSignal; setTotal(n: number): void; advance(n: number): void }) {
  const { db, t } = access(deps.db)
  const k = t.apiKeys
  const where = and(eq(k.groupId, group.id), status ? eq(k.status, status) : undefined)
  const rows = await db.select({ id: k.id, status: k.status, keyHash: k.keyHash }).from(k).where(where)
  const wantedHashes = hashes ? new Set(hashes) : null
  const wanted = new Set(rows.filter(r => (status || r.status !== 'disabled') && (!wantedHashes || wantedHashes.has(r.keyHash))).map(r => r.id))
  ctx.setTotal(wanted.size)
  const settings = effectiveSettings(group.config)
  const concurrency = Math.max(1, settings.key_validation_concurrency)
  const result = { valid: 0, invalid: 0, failed: 0 }
  for await (const page of iterateKeys(deps.db, deps.cipher, group.id, status)) {
    const todo = page.filter(p => wanted.has(p.row.id))
    for (let i = 0; i < todo.length; i += concurrency) {
      if (ctx.signal.aborted) throw new Error('aborted')
      await Promise.all(todo.slice(i, i + concurrency).map(async ({ row, key }) => {
        const r = await validate(group, key)
        const blames = validationBlamesKey(group, r)
        if (r.ok) result.valid++
        else if (blames) result.invalid++
        else result.failed++
        await recordValidation(deps.db, row.id, { ok: r.ok, blamesKey: blames, error: r.error })
        ctx.advance(1)
      }))
    }
  }
  if (wanted.size) await publishChange({ type: 'keys', groupId: group.id })
  return result
}
