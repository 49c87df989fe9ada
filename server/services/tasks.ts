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
