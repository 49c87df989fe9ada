import { and, asc, count, eq, gt, or, type SQL } from 'drizzle-orm'
import type { Db } from '../../../db/client'
import { maskSecret } from '../../../shared/mask'
import type { Page } from '../../../shared/schemas/common'
import type { KeyListQuery, KeyPatchInput, KeyView } from '../../../shared/schemas/keys'
import type { ApiKeyRow, KeyStatus } from '../../../shared/types/rows'
import { keysChange, type ChangePublisher } from '../changes'
import { access, contains } from '../dbAccess'
import { notFound } from '../errors'
import { getGroupRow } from '../groups'
import type { KeyCipher } from './cipher'

/** What the key services need: the database, the cipher, and the feed to tell every instance. */
export type KeyStoreDeps = { db: Db; cipher: KeyCipher; changes: ChangePublisher }

/** Masked for display; a row that no longer decrypts shows as unreadable rather than failing the page. */
export function maskStored(cipher: KeyCipher, ciphertext: string): string {
  try { return maskSecret(cipher.decrypt(ciphertext)) } catch { return '(unreadable)' }
}

export function toKeyView(cipher: KeyCipher, r: ApiKeyRow): KeyView {
  return {
    id: r.id,
    groupId: r.groupId,
    masked: maskStored(cipher, r.keyCiphertext),
    status: r.status,
    notes: r.notes,
    requestCount: r.requestCount,
    failureCount: r.failureCount,
    consecutiveFailures: r.consecutiveFailures,
    lastUsedAt: r.lastUsedAt,
    cooldownUntil: r.cooldownUntil,
    lastError: r.lastError,
    createdAt: r.createdAt,
  }
}

/** `q` matches notes, or the exact key through its hash (the only way to find a key by value). */
export async function listKeys(handle: Db, cipher: KeyCipher, groupId: number, q: KeyListQuery): Promise<Page<KeyView>> {
  await getGroupRow(handle, groupId)
  const { db, t } = access(handle)
  const k = t.apiKeys
  const conds: (SQL | undefined)[] = [eq(k.groupId, groupId)]
  if (q.status) conds.push(eq(k.status, q.status))
  const text = q.q?.trim()
  if (text) conds.push(or(eq(k.keyHash, cipher.hash(text)), contains(handle, k.notes, text)))
  const where = and(...conds)
  const rows = await db.select().from(k).where(where).orderBy(asc(k.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize)
  const total = (await db.select({ n: count() }).from(k).where(where))[0]!.n
  return { items: rows.map(r => toKeyView(cipher, r)), total: Number(total) }
}

export async function getKeyRow(handle: Db, id: number): Promise<ApiKeyRow> {
  const { db, t } = access(handle)
  const row = (await db.select().from(t.apiKeys).where(eq(t.apiKeys.id, id)).limit(1))[0]
  if (!row) throw notFound(`key ${id}`)
  return row
}

/** Enable/disable and annotate one key. Enabling gives it a clean slate (no cooldown, no failure streak). */
export async function updateKey({ db: handle, cipher, changes }: KeyStoreDeps, id: number, patch: KeyPatchInput): Promise<KeyView> {
  const row = await getKeyRow(handle, id)
  const { db, t } = access(handle)
  const set: Partial<ApiKeyRow> = { updatedAt: Date.now() }
  if (patch.notes !== undefined) set.notes = patch.notes
  if (patch.status === 'disabled') set.status = 'disabled'
  if (patch.status === 'active') Object.assign(set, { status: 'active', consecutiveFailures: 0, cooldownUntil: null, lastError: null })
  await db.update(t.apiKeys).set(set).where(eq(t.apiKeys.id, id))
  await changes.publish(keysChange(row.groupId, [id]))
  return toKeyView(cipher, await getKeyRow(handle, id))
}

export async function deleteKey({ db: handle, changes }: KeyStoreDeps, id: number): Promise<{ deleted: true }> {
  const row = await getKeyRow(handle, id)
  const { db, t } = access(handle)
  await db.delete(t.apiKeys).where(eq(t.apiKeys.id, id))
  await changes.publish(keysChange(row.groupId, [id]))
  return { deleted: true }
}

/** Plain keys of a group, page by page by id (export, validation): never more than `batch` in memory. */
export async function* iterateKeys(
  handle: Db,
  cipher: KeyCipher,
  groupId: number,
  status?: KeyStatus,
  batch = 1000,
): AsyncGenerator<{ row: ApiKeyRow; key: string }[]> {
  const { db, t } = access(handle)
  const k = t.apiKeys
  let after = 0
  for (;;) {
    const rows = await db.select().from(k)
      .where(and(eq(k.groupId, groupId), status ? eq(k.status, status) : undefined, gt(k.id, after)))
      .orderBy(asc(k.id)).limit(batch)
    if (!rows.length) return
    after = rows[rows.length - 1]!.id
    const out: { row: ApiKeyRow; key: string }[] = []
    for (const row of rows) {
      try { out.push({ row, key: cipher.decrypt(row.keyCiphertext) }) } catch { /* unreadable rows are skipped */ }
    }
    yield out
  }
}

/** `GET /api/groups/{id}/keys/export`: one key a line, streamed. */
export async function* exportKeys(handle: Db, cipher: KeyCipher, groupId: number, status?: KeyStatus): AsyncGenerator<string> {
  for await (const page of iterateKeys(handle, cipher, groupId, status)) {
    if (page.length) yield page.map(p => p.key).join('\n') + '\n'
  }
}
