import { asc, count, eq, inArray, sql as dsql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { GroupCreateSchema, type GroupCopyInput, type GroupCreateInput, type GroupInput, type GroupPatchInput, type GroupView, type SubGroupRef } from '../../shared/schemas/groups'
import type { Page } from '../../shared/schemas/common'
import type { GroupRow } from '../../shared/types/rows'
import type { ChangePublisher } from './changes'
import { access, execSql, inTransaction, insertedId } from './dbAccess'
import { conflict, invalid, notFound, zodValidationError } from './errors'
import type { Settings } from './settings'

function toView(appUrl: string, row: GroupRow, subGroups: SubGroupRef[]): GroupView {
  const base = appUrl.replace(/\/+$/, '')
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    type: row.type,
    channel: row.channel,
    upstreams: row.upstreams,
    testModel: row.testModel,
    validationPath: row.validationPath,
    models: row.models,
    priority: row.priority,
    modelRedirects: row.modelRedirects,
    modelRedirectStrict: row.modelRedirectStrict,
    paramOverrides: row.paramOverrides,
    headerRules: row.headerRules,
    allowedPaths: row.allowedPaths,
    acceptsConversions: row.acceptsConversions,
    priceMultiplier: row.priceMultiplier,
    config: row.config,
    subGroups: row.type === 'aggregate' ? subGroups : [],
    enabled: row.enabled,
    sort: row.sort,
    endpoint: `${base}/proxy/${row.name}`,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  } as GroupView
}

async function subGroupsOf(handle: Db, groupIds: number[]): Promise<Map<number, SubGroupRef[]>> {
  const { db, t } = access(handle)
  const out = new Map<number, SubGroupRef[]>()
  if (!groupIds.length) return out
  const rows = await db.select().from(t.groupSubGroups).where(inArray(t.groupSubGroups.groupId, groupIds)).orderBy(asc(t.groupSubGroups.id))
  for (const r of rows) {
    const list = out.get(r.groupId) ?? []
    list.push({ groupId: r.subGroupId, weight: r.weight })
    out.set(r.groupId, list)
  }
  return out
}

export async function getGroupRow(handle: Db, id: number): Promise<GroupRow> {
  const { db, t } = access(handle)
  const row = (await db.select().from(t.groups).where(eq(t.groups.id, id)).limit(1))[0]
  if (!row) throw notFound(`group ${id}`)
  return row
}

/** Sub-groups must exist, be standard (no nesting), not be the group itself, and share its channel. */
async function checkSubGroups(handle: Db, g: GroupInput, selfId?: number) {
  if (g.type !== 'aggregate' || !g.subGroups.length) return
  const { db, t } = access(handle)
  const ids = g.subGroups.map(s => s.groupId)
  const rows = await db.select({ id: t.groups.id, name: t.groups.name, type: t.groups.type, channel: t.groups.channel })
    .from(t.groups).where(inArray(t.groups.id, ids))
  const byId = new Map(rows.map(r => [r.id, r]))
  g.subGroups.forEach((s, i) => {
    const r = byId.get(s.groupId)
    const path = `subGroups.${i}.groupId`
    if (s.groupId === selfId) throw invalid(path, 'a group cannot contain itself')
    if (!r) throw invalid(path, `group ${s.groupId} does not exist`)
    if (r.type === 'aggregate') throw invalid(path, `${r.name} is an aggregate group; aggregates cannot be nested`)
    if (r.channel !== g.channel) throw invalid(path, `${r.name} uses channel ${r.channel}, not ${g.channel}`)
  })
}

/** An aggregate's channel is fixed by its sub-groups, and a standard group inside an aggregate keeps its channel and type. */
async function checkUsedBy(handle: Db, id: number, g: GroupInput) {
  const users = await aggregatesUsing(handle, id)
  if (!users.length) return
  if (g.type === 'aggregate') throw invalid('type', `group is a sub-group of ${users.map(u => u.name).join(', ')} and cannot become an aggregate`)
  const other = users.find(u => u.channel !== g.channel)
  if (other) throw invalid('channel', `group is a sub-group of ${other.name}, which uses channel ${other.channel}`)
}

async function aggregatesUsing(handle: Db, id: number) {
  const { db, t } = access(handle)
  return db.select({ id: t.groups.id, name: t.groups.name, channel: t.groups.channel })
    .from(t.groupSubGroups).innerJoin(t.groups, eq(t.groups.id, t.groupSubGroups.groupId))
    .where(eq(t.groupSubGroups.subGroupId, id))
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; message?: string }
  const code = e?.code ?? e?.cause?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'ER_DUP_ENTRY' || /UNIQUE constraint failed|Duplicate entry/.test(String(e?.message ?? ''))
}

async function nameTaken(handle: Db, name: string, exceptId?: number) {
  const { db, t } = access(handle)
  const row = (await db.select({ id: t.groups.id }).from(t.groups).where(eq(t.groups.name, name)).limit(1))[0]
  return !!row && row.id !== exceptId
}

function columns(g: GroupInput) {
  const { subGroups: _s, ...rest } = g
  return rest
}

async function writeSubGroups(db: ReturnType<typeof access>['db'], t: ReturnType<typeof access>['t'], groupId: number, g: GroupInput) {
  await db.delete(t.groupSubGroups).where(eq(t.groupSubGroups.groupId, groupId))
  if (g.type === 'aggregate' && g.subGroups.length)
    await db.insert(t.groupSubGroups).values(g.subGroups.map(s => ({ groupId, subGroupId: s.groupId, weight: s.weight })))
}

async function nextSort(handle: Db): Promise<number> {
  const { db, t } = access(handle)
  const rows = await db.select({ sort: t.groups.sort }).from(t.groups).orderBy(asc(t.groups.sort))
  return rows.length ? Math.max(...rows.map(r => r.sort)) + 1 : 1
}

async function freeCopyName(handle: Db, base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const suffix = i === 1 ? '_copy' : `_copy${i}`
    const name = base.slice(0, 100 - suffix.length) + suffix
    if (!(await nameTaken(handle, name))) return name
  }
}

/** Names of all groups by id, for views that show a group's name. */
export async function groupNames(handle: Db): Promise<Map<number, string>> {
  const { db, t } = access(handle)
  return new Map((await db.select({ id: t.groups.id, name: t.groups.name }).from(t.groups)).map(r => [r.id, r.name]))
}

export type GroupServiceDeps = { db: Db; changes: ChangePublisher; settings: Pick<Settings, 'current'> }

/** Groups as the management API sees them; every write tells all instances through the feed. */
export function createGroupService({ db: handle, changes, settings }: GroupServiceDeps) {
  const appUrl = () => settings.current().app_url

  async function getGroup(id: number): Promise<GroupView> {
    const row = await getGroupRow(handle, id)
    return toView(appUrl(), row, (await subGroupsOf(handle, [id])).get(id) ?? [])
  }

  async function listGroups(q: { page: number; pageSize: number }): Promise<Page<GroupView>> {
    const { db, t } = access(handle)
    const rows = await db.select().from(t.groups).orderBy(asc(t.groups.sort), asc(t.groups.id))
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize)
    const total = (await db.select({ n: count() }).from(t.groups))[0]!.n
    const subs = await subGroupsOf(handle, rows.filter(r => r.type === 'aggregate').map(r => r.id))
    return { items: rows.map(r => toView(appUrl(), r, subs.get(r.id) ?? [])), total: Number(total) }
  }

  async function createGroup(input: GroupInput): Promise<GroupView> {
    await checkSubGroups(handle, input)
    if (await nameTaken(handle, input.name)) throw conflict(`a group named ${input.name} already exists`)
    const now = Date.now()
    let id: number
    try {
      id = await inTransaction(handle, async (db) => {
        const { t } = access(handle)
        const sort = input.sort || await nextSort(handle)
        const newId = insertedId(await db.insert(t.groups).values({ ...columns(input), sort, createdAt: now, updatedAt: now }))
        await writeSubGroups(db, t, newId, input)
        return newId
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a group named ${input.name} already exists`)
      throw err
    }
    await changes.publish({ type: 'groups' })
    return getGroup(id)
  }

  /** Applies a patch, then checks the merged group as if it were created anew. */
  async function updateGroup(id: number, patch: GroupPatchInput): Promise<GroupView> {
    const current = await getGroup(id)
    const { id: _i, endpoint: _e, createdAt: _c, updatedAt: _u, ...fields } = current
    const parsed = GroupCreateSchema.safeParse({ ...fields, ...patch } satisfies GroupCreateInput)
    if (!parsed.success) throw zodValidationError(parsed.error)
    const merged = parsed.data
    await checkSubGroups(handle, merged, id)
    await checkUsedBy(handle, id, merged)
    if (merged.name !== current.name && await nameTaken(handle, merged.name, id)) throw conflict(`a group named ${merged.name} already exists`)
    try {
      await inTransaction(handle, async (db) => {
        const { t } = access(handle)
        await db.update(t.groups).set({ ...columns(merged), updatedAt: Date.now() }).where(eq(t.groups.id, id))
        await writeSubGroups(db, t, id, merged)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a group named ${merged.name} already exists`)
      throw err
    }
    await changes.publish({ type: 'groups' })
    return getGroup(id)
  }

  /** Refused while an aggregate uses the group, unless forced (the aggregate then loses it). Keys go with the group. */
  async function deleteGroup(id: number, force: boolean): Promise<{ deleted: true }> {
    const row = await getGroupRow(handle, id)
    const users = await aggregatesUsing(handle, id)
    if (users.length && !force)
      throw conflict(`group ${row.name} is a sub-group of ${users.map(u => u.name).join(', ')}; remove it there first or delete with ?force=true`, { aggregates: users.map(u => ({ id: u.id, name: u.name })) })
    await inTransaction(handle, async (db) => {
      const { t } = access(handle)
      await db.delete(t.groupSubGroups).where(eq(t.groupSubGroups.subGroupId, id))
      await db.delete(t.groupSubGroups).where(eq(t.groupSubGroups.groupId, id))
      await db.delete(t.apiKeys).where(eq(t.apiKeys.groupId, id))
      await db.delete(t.groups).where(eq(t.groups.id, id))
    })
    await changes.publish({ type: 'groups' })
    await changes.publish({ type: 'keys', groupId: id })
    return { deleted: true }
  }

  /** A new group with the same settings; keys copied as stored (ciphertexts stay valid under the same key). */
  async function copyGroup(id: number, input: GroupCopyInput): Promise<GroupView> {
    const source = await getGroup(id)
    const name = input.name ?? await freeCopyName(handle, source.name)
    if (await nameTaken(handle, name)) throw conflict(`a group named ${name} already exists`)
    const { id: _i, endpoint: _e, createdAt: _c, updatedAt: _u, ...fields } = source
    const now = Date.now()
    const newId = await inTransaction(handle, async (db) => {
      const { t } = access(handle)
      const gid = insertedId(await db.insert(t.groups).values({
        ...columns(fields as GroupInput), name, sort: await nextSort(handle), createdAt: now, updatedAt: now,
      }))
      await writeSubGroups(db, t, gid, fields as GroupInput)
      if (input.keys !== 'none') {
        const onlyActive = input.keys === 'active' ? dsql` AND status = 'active'` : dsql``
        await execSql(handle, db, dsql`INSERT INTO api_keys (group_id, key_hash, key_ciphertext, status, notes, request_count, failure_count, consecutive_failures, created_at, updated_at)
          SELECT ${gid}, key_hash, key_ciphertext, CASE WHEN status = 'cooling' THEN 'active' ELSE status END, notes, 0, 0, 0, ${now}, ${now} FROM api_keys WHERE group_id = ${id}${onlyActive} ORDER BY id`)
      }
      return gid
    })
    await changes.publish({ type: 'groups' })
    if (input.keys !== 'none') await changes.publish({ type: 'keys', groupId: newId })
    return getGroup(newId)
  }

  /** Sets `sort` to each id's position; ids not listed keep their order after them. */
  async function reorderGroups(ids: number[]): Promise<Page<GroupView>> {
    const { db, t } = access(handle)
    const known = new Set((await db.select({ id: t.groups.id }).from(t.groups).where(inArray(t.groups.id, ids))).map(r => r.id))
    const missing = ids.findIndex(i => !known.has(i))
    if (missing >= 0) throw invalid(`ids.${missing}`, `group ${ids[missing]} does not exist`)
    await inTransaction(handle, async (tx) => {
      let n = 0
      for (const gid of ids) await tx.update(t.groups).set({ sort: ++n }).where(eq(t.groups.id, gid))
      const rest = await tx.select({ id: t.groups.id }).from(t.groups).where(dsql`${t.groups.id} NOT IN (${dsql.join(ids.map(i => dsql`${i}`), dsql`, `)})`).orderBy(asc(t.groups.sort), asc(t.groups.id))
      for (const r of rest) await tx.update(t.groups).set({ sort: ++n }).where(eq(t.groups.id, r.id))
    })
    await changes.publish({ type: 'groups' })
    return listGroups({ page: 1, pageSize: 500 })
  }

  return {
    get: getGroup, list: listGroups, create: createGroup, update: updateGroup,
    delete: deleteGroup, copy: copyGroup, reorder: reorderGroups,
  }
}

export type GroupService = ReturnType<typeof createGroupService>
