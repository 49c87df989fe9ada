import { randomUUID } from 'node:crypto'
import { and, count, desc, eq, lt, ne } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Page } from '../../shared/schemas/common'
import type { TaskView } from '../../shared/schemas/tasks'
import type { TaskRow } from '../../shared/types/rows'
import type { Logger } from '../logger'
import type { Store } from '../store/types'
import { access } from './dbAccess'
import { conflict, notFound } from './errors'

/** Finished tasks stay readable this long. */
export const TASK_RETENTION_MS = 3600_000
/** A running task writes at least this often; one silent for STALE_MS died with its instance. */
const HEARTBEAT_MS = 5_000
const STALE_MS = 30_000
const PROGRESS_WRITE_MS = 300
const LEASE_MS = 60_000
export const INTERRUPTED = 'interrupted by a restart'

export type TaskContext = {
  id: string
  signal: AbortSignal
  setTotal(total: number): void
  /** Adds to `processed`; written to the database at most every few hundred ms. */
  advance(by: number): void
}

export type TaskRunnerDeps = { db: Db; store: Store; instanceId: string; log: Logger }

export type TaskOptions = { type: string; groupId?: number | null; exclusive?: boolean; total?: number }

export interface TaskRunner {
  /**
   * Starts `work` in the background and returns its row at once. `exclusive` with a group: at
   * most one such task per group in the whole cluster (a Store lease), a second one gets 409 naming it.
   */
  start<R>(opts: TaskOptions, work: (ctx: TaskContext) => Promise<R>): Promise<TaskView>
  /** A cheap early answer before a large upload: 409 when a key task already runs for the group (the lease still decides). */
  assertNoKeyTask(groupId: number): Promise<void>
  /** At boot: fails the tasks a previous process left running. */
  recoverInterrupted(): Promise<void>
  get(id: string): Promise<TaskView>
  list(q: { page: number; pageSize: number; state?: TaskView['state']; groupId?: number }): Promise<Page<TaskView>>
  /** Shutdown: aborts running work (each task records itself as interrupted), waiting up to `waitMs`. */
  abortRunning(waitMs?: number): Promise<void>
}

/** Admin-started work with a progress row in `tasks` (key imports and key actions). */
export function createTaskRunner(deps: TaskRunnerDeps): TaskRunner {
  const controllers = new Map<string, AbortController>()
  const finishing = new Set<Promise<void>>()
  const handle = deps.db
  return {
    start: (opts, work) => startTask(deps, controllers, finishing, opts, work),
    assertNoKeyTask: groupId => assertNoKeyTask(handle, groupId),
    recoverInterrupted: () => recoverInterruptedTasks(handle, deps.instanceId),
    get: id => getTask(handle, id),
    list: q => listTasks(handle, q),
    async abortRunning(waitMs = 5_000) {
      for (const c of controllers.values()) c.abort()
      await Promise.race([Promise.all([...finishing]), new Promise(r => setTimeout(r, waitMs).unref())])
    },
  }
}

function toView(r: TaskRow): TaskView {
  return {
    id: r.id, type: r.type, groupId: r.groupId, state: r.state, processed: r.processed, total: r.total,
    result: r.result ?? null, error: r.error, createdAt: r.createdAt, updatedAt: r.updatedAt,
  }
}

async function startTask<R>(
  deps: TaskRunnerDeps,
  controllers: Map<string, AbortController>,
  finishing: Set<Promise<void>>,
  opts: TaskOptions,
  work: (ctx: TaskContext) => Promise<R>,
): Promise<TaskView> {
  const { db: handle, store, instanceId, log } = deps
  const { db, t } = access(handle)
  const id = randomUUID()
  const groupId = opts.groupId ?? null
  const leaseName = groupId !== null && opts.exclusive ? `task-group:${groupId}` : null
  if (leaseName && !(await store.acquireLease(leaseName, id, LEASE_MS))) throw await busyGroup(handle, groupId!)
  const now = Date.now()
  const row: TaskRow = { id, type: opts.type, groupId, state: 'running', processed: 0, total: opts.total ?? 0, result: null, error: null, instanceId, createdAt: now, updatedAt: now }
  try {
    await db.insert(t.tasks).values(row)
  } catch (err) {
    if (leaseName) await store.releaseLease(leaseName, id).catch(() => {})
    throw err
  }
  await pruneTasks(handle).catch(() => {})

  const controller = new AbortController()
  controllers.set(id, controller)
  let processed = 0, total = row.total, lastWrite = 0, writing: Promise<unknown> = Promise.resolve()
  const write = (force = false) => {
    const at = Date.now()
    if (!force && at - lastWrite < PROGRESS_WRITE_MS) return
    lastWrite = at
    writing = writing.then(() => db.update(t.tasks).set({ processed, total, updatedAt: at }).where(eq(t.tasks.id, id))).catch(err => log.warn({ err }, 'task progress write failed'))
  }
  const heartbeat = setInterval(() => {
    write(true)
    if (leaseName) store.renewLease(leaseName, id, LEASE_MS).catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()
  const ctx: TaskContext = {
    id,
    signal: controller.signal,
    setTotal(n) { total = n; write() },
    advance(by) { processed += by; write() },
  }

  // Runs after the 202 is on its way; errors end up in the task row, not in the request.
  let release!: () => void
  const finished = new Promise<void>((r) => { release = r })
  finishing.add(finished)
  finished.then(() => finishing.delete(finished))
  setImmediate(async () => {
    let state: 'done' | 'failed' = 'done', result: unknown = null, error: string | null = null
    try { result = await work(ctx) ?? null } catch (err) {
      state = 'failed'
      error = controller.signal.aborted ? INTERRUPTED : (err as Error)?.message ?? String(err)
      log.error({ err, taskId: id, type: opts.type }, 'task failed')
    }
    clearInterval(heartbeat)
    controllers.delete(id)
    await writing
    await db.update(t.tasks).set({ state, processed: state === 'done' ? Math.max(processed, total) : processed, total, result, error, updatedAt: Date.now() })
      .where(eq(t.tasks.id, id)).catch(err => log.error({ err, taskId: id }, 'writing a task result failed'))
    if (leaseName) await store.releaseLease(leaseName, id).catch(() => {})
    release()
  })
  return toView(row)
}

async function busyGroup(handle: Db, groupId: number) {
  const { db, t } = access(handle)
  const running = (await db.select().from(t.tasks).where(and(eq(t.tasks.groupId, groupId), eq(t.tasks.state, 'running'))).orderBy(desc(t.tasks.createdAt)).limit(1))[0]
  return conflict(running
    ? `task ${running.id} (${running.type}) is still changing this group's keys; wait for it to finish`
    : 'another task is still changing this group\'s keys; wait for it to finish', { taskId: running?.id ?? null })
}

async function assertNoKeyTask(handle: Db, groupId: number) {
  await failStale(handle)
  const { db, t } = access(handle)
  const running = (await db.select({ id: t.tasks.id }).from(t.tasks).where(and(eq(t.tasks.groupId, groupId), eq(t.tasks.state, 'running'))).limit(1))[0]
  if (running) throw await busyGroup(handle, groupId)
}

/** Running tasks whose instance stopped writing are failed, so nobody waits on them forever. */
async function failStale(handle: Db) {
  const { db, t } = access(handle)
  await db.update(t.tasks).set({ state: 'failed', error: INTERRUPTED, updatedAt: Date.now() })
    .where(and(eq(t.tasks.state, 'running'), lt(t.tasks.updatedAt, Date.now() - STALE_MS)))
}

async function pruneTasks(handle: Db) {
  const { db, t } = access(handle)
  await db.delete(t.tasks).where(and(ne(t.tasks.state, 'running'), lt(t.tasks.updatedAt, Date.now() - TASK_RETENTION_MS)))
}

/**
 * At boot: tasks left `running` by a previous process are failed. With SQLite only this process
 * uses the file (with WORKERS > 1 the primary calls this before any worker starts, and workers
 * do not), so every one of them is dead; with MySQL other instances may be alive, so only
 * those whose heartbeat stopped are (the rest are caught by `failStale` on later reads).
 */
export async function recoverInterruptedTasks(handle: Db, instanceId: string) {
  const { db, t } = access(handle)
  if (handle.dialect === 'sqlite')
    await db.update(t.tasks).set({ state: 'failed', error: INTERRUPTED, updatedAt: Date.now() }).where(and(eq(t.tasks.state, 'running'), ne(t.tasks.instanceId, instanceId)))
  else await failStale(handle)
  await pruneTasks(handle)
}

async function getTask(handle: Db, id: string): Promise<TaskView> {
  await failStale(handle)
  const { db, t } = access(handle)
  const row = (await db.select().from(t.tasks).where(eq(t.tasks.id, id)).limit(1))[0]
  if (!row) throw notFound(`task ${id}`)
  return toView(row)
}

async function listTasks(handle: Db, q: { page: number; pageSize: number; state?: TaskView['state']; groupId?: number }): Promise<Page<TaskView>> {
  await failStale(handle)
  await pruneTasks(handle)
  const { db, t } = access(handle)
  const where = and(q.state ? eq(t.tasks.state, q.state) : undefined, q.groupId ? eq(t.tasks.groupId, q.groupId) : undefined)
  const rows = await db.select().from(t.tasks).where(where)
    .orderBy(desc(t.tasks.createdAt)).limit(q.pageSize).offset((q.page - 1) * q.pageSize)
  const total = (await db.select({ n: count() }).from(t.tasks).where(where))[0]!.n
  return { items: rows.map(toView), total: Number(total) }
}
