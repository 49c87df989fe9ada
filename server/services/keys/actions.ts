import { and, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../../../db/client'
import type { KeyActionInput } from '../../../shared/schemas/keys'
import type { KeyStatus } from '../../../shared/types/rows'
import { keysChange, MAX_NOTICE_KEY_IDS } from '../changes'
import { access, affectedRows } from '../dbAccess'
import { invalid } from '../errors'
import { getGroupRow } from '../groups'
import type { TaskRunner } from '../tasks'
import type { KeyCipher } from './cipher'
import { splitKeys } from './import'
import { validateKeys, type ValidationDeps } from './validation'

export type KeyActionDeps = ValidationDeps & { tasks: TaskRunner }

const HASH_CHUNK = 500

/** Hashes of the keys named in an action's `keys` (text in any separator, or an array). */
function hashesOf(cipher: KeyCipher, keys: KeyActionInput['keys']): string[] | null {
  if (keys === undefined) return null
  const { keys: list } = splitKeys(keys)
  if (!list.length) throw invalid('keys', 'no keys found')
  return [...new Set(list.map(k => cipher.hash(k)))]
}

/**
 * Runs a restore/delete over the matching keys, in chunks of named keys so no statement grows
 * unbounded. Returns how many rows changed and, when few enough, which: the change notice then
 * names them and instances reload only those (null: reload the whole group).
 */
async function bulkWrite(
  handle: Db,
  groupId: number,
  status: KeyStatus | undefined,
  hashes: string[] | null,
  write: (where: SQL) => Promise<unknown>,
): Promise<{ affected: number; ids: number[] | null }> {
  const { db, t } = access(handle)
  const base = and(eq(t.apiKeys.groupId, groupId), status ? eq(t.apiKeys.status, status) : undefined)!
  const wheres: SQL[] = []
  if (!hashes) wheres.push(base)
  else {
    for (let i = 0; i < hashes.length; i += HASH_CHUNK) wheres.push(and(base, inArray(t.apiKeys.keyHash, hashes.slice(i, i + HASH_CHUNK)))!)
  }
  let ids: number[] | null = []
  let n = 0
  for (const where of wheres) {
    if (ids) {
      const found = await db.select({ id: t.apiKeys.id }).from(t.apiKeys).where(where).limit(MAX_NOTICE_KEY_IDS + 1)
      ids = ids.length + found.length > MAX_NOTICE_KEY_IDS ? null : ids.concat(found.map(r => r.id))
    }
    n += affectedRows(await write(where))
  }
  // A row that changed between the look-up and the write: the ids are not the whole story.
  if (ids && ids.length !== n) ids = null
  return { affected: n, ids }
}

/** `POST /api/groups/{id}/keys/actions`: every action is a task, one key-changing task per group. */
export async function startKeyAction(deps: KeyActionDeps, groupId: number, input: KeyActionInput) {
  const group = await getGroupRow(deps.db, groupId)
  if (group.type === 'aggregate') throw invalid('groupId', 'an aggregate group has no keys of its own')
  const hashes = hashesOf(deps.cipher, input.keys)
  const { db, t } = access(deps.db)
  const now = () => Date.now()

  if (input.action === 'validate') {
    return deps.tasks.start({ type: 'validate-keys', groupId, exclusive: true }, ctx => validateKeys(deps, group, input.status, hashes, ctx))
  }
  const type = `${input.action}-keys`
  return deps.tasks.start({ type, groupId, exclusive: true }, async (ctx) => {
    let done: { affected: number; ids: number[] | null }
    if (input.action === 'restore-invalid')
      done = await bulkWrite(deps.db, groupId, 'invalid', hashes, where => db.update(t.apiKeys).set({ status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null, updatedAt: now() }).where(where))
    else if (input.action === 'delete-invalid')
      done = await bulkWrite(deps.db, groupId, 'invalid', hashes, where => db.delete(t.apiKeys).where(where))
    else done = await bulkWrite(deps.db, groupId, input.status, hashes, where => db.delete(t.apiKeys).where(where))
    const affected = done.affected
    ctx.setTotal(affected)
    ctx.advance(affected)
    if (affected) await deps.changes.publish(keysChange(groupId, done.ids))
    return input.action === 'restore-invalid' ? { restored: affected } : { deleted: affected }
  })
}
