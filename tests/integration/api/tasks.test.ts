import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, upstream, type BackendServer } from '../../support/backends'
import { startServer } from '../../support/server'

const insertTask = `INSERT INTO tasks (id, type, group_id, state, processed, total, result, error, instance_id, created_at, updated_at) VALUES (?, 'import-keys', NULL, ?, 5, 10, NULL, NULL, ?, ?, ?)`

describe('tasks across a restart (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-tasks-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('reports a task cut off by a restart as failed, not lost', async () => {
    const first = await startServer({ dataDir })
    const g = (await first.api('POST', '/api/groups', { name: 'restart', channel: 'openai', upstreams: upstream() })).body.id
    const keys = Array.from({ length: 60_000 }, (_, i) => `sk-restart-${i}-abcdefghijklmnopqrst`).join('\n')
    const started = await first.api('POST', `/api/groups/${g}/keys`, { keys })
    expect(started.status).toBe(202)
    // A task row a crashed process left behind.
    const db = new Database(join(dataDir, 'keygate.db'))
    db.prepare(insertTask).run('crashed-task', 'running', 'dead-instance', Date.now(), Date.now())
    db.close()
    await first.stop()

    const second = await startServer({ dataDir })
    try {
      const crashed = await second.api('GET', '/api/tasks/crashed-task')
      expect(crashed.body).toMatchObject({ id: 'crashed-task', state: 'failed', error: 'interrupted by a restart', processed: 5, total: 10 })
      const cut = (await second.api('GET', `/api/tasks/${started.body.taskId}`)).body
      // Either it finished before SIGTERM landed, or it is failed with the reason: never left running.
      expect(cut.state).not.toBe('running')
      if (cut.state === 'failed') expect(cut.error).toBe('interrupted by a restart')
      // The group is not blocked by the dead task.
      expect((await second.api('POST', `/api/groups/${g}/keys`, { keys: 'sk-after-restart-abcdefghijklmnop' })).status).toBe(202)
    } finally { await second.stop() }
  })
})

describe.each(BACKENDS)('task bookkeeping on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  beforeAll(async () => { if (!skip) s = await startOn(backend, 'tasks') })
  afterAll(async () => { await s?.stop() })

  it.skipIf(skip)('fails a running task whose instance stopped heartbeating, and drops finished ones after an hour', async () => {
    const now = Date.now()
    await s.direct.exec(insertTask, ['stale-task', 'running', 'gone-instance', now - 120_000, now - 60_000])
    await s.direct.exec(insertTask, ['old-done', 'done', 'gone-instance', now - 3 * 3600_000, now - 2 * 3600_000])
    await s.direct.exec(insertTask, ['recent-done', 'done', 'gone-instance', now - 600_000, now - 600_000])
    expect((await s.server.api('GET', '/api/tasks/stale-task')).body).toMatchObject({ state: 'failed', error: 'interrupted by a restart' })
    const list = await s.server.api('GET', '/api/tasks?pageSize=500')
    const listed = list.body.items.map((t: any) => t.id)
    expect(listed).toContain('recent-done')
    expect(listed).not.toContain('old-done')
    expect((await s.server.api('GET', '/api/tasks?state=failed')).body.items.map((t: any) => t.id)).toEqual(['stale-task'])
  })
})
