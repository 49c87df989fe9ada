import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startOn, upstream, waitForTask, type BackendServer } from '../../support/backends'
import { TEST_AUTH_KEY } from '../../support/server'

const auth = { authorization: `Bearer ${TEST_AUTH_KEY}` }
const key = (i: number | string) => `sk-test-${String(i).padStart(6, '0')}-abcdefghijklmnop`

describe.each(BACKENDS)('upstream keys API on $title', ({ name: backend, skip }) => {
  let s: BackendServer
  let gid: number
  const addKeys = async (groupId: number, body: unknown) => {
    const r = await s.server.api('POST', `/api/groups/${groupId}/keys`, body)
    expect(r.status, JSON.stringify(r.body)).toBe(202)
    expect(Object.keys(r.body)).toEqual(['taskId'])
    return waitForTask(s.server, r.body.taskId)
  }
  const newGroup = async (name: string) => (await s.server.api('POST', '/api/groups', { name, channel: 'openai', upstreams: upstream() })).body.id as number

  beforeAll(async () => {
    if (skip) return
    s = await startOn(backend, 'keys')
    gid = await newGroup('keys-main')
  })
  afterAll(async () => { await s?.stop() })

  it.skipIf(skip)('adds keys from text in any separator, deduplicating in the batch and against the group', async () => {
    const text = `${key(1)}\n${key(2)}, ${key(3)};${key(4)} \t${key(1)}\r\n\n"${key(5)}"`
    const t = await addKeys(gid, { keys: text, notes: 'batch one' })
    expect(t).toMatchObject({ type: 'import-keys', groupId: gid, state: 'done', processed: 6, total: 6, error: null, result: { added: 5, duplicates: 1, invalid: 0 } })
    const again = await addKeys(gid, { keys: JSON.stringify([key(5), key(6), 'x'.repeat(1001)]) })
    expect(again.result).toEqual({ added: 1, duplicates: 1, invalid: 1, total: 2 })
    const arr = await addKeys(gid, { keys: [key(7), key(6)] })
    expect(arr.result).toMatchObject({ added: 1, duplicates: 1 })
    const list = await s.server.api('GET', `/api/groups/${gid}/keys`)
    expect(list.body.total).toBe(7)
  })

  it.skipIf(skip)('lists keys masked only, with status and q filters and pagination', async () => {
    const page = await s.server.api('GET', `/api/groups/${gid}/keys?page=1&pageSize=3`)
    expect(page.status).toBe(200)
    expect(page.body.total).toBe(7)
    expect(page.body.items).toHaveLength(3)
    expect(page.body.items[0]).toEqual({
      id: expect.any(Number), groupId: gid, masked: 'sk-te…mnop', status: 'active', notes: 'batch one', requestCount: 0, failureCount: 0,
      consecutiveFailures: 0, lastUsedAt: null, cooldownUntil: null, lastError: null, createdAt: expect.any(Number),
    })
    const all = await s.server.api('GET', `/api/groups/${gid}/keys?pageSize=500`)
    expect(JSON.stringify(all.body)).not.toContain('abcdefghijklmnop')
    expect(JSON.stringify(all.body)).not.toContain(key(1))

    const byKey = await s.server.api('GET', `/api/groups/${gid}/keys?q=${encodeURIComponent(key(3))}`)
    expect(byKey.body.total).toBe(1)
    const byNotes = await s.server.api('GET', `/api/groups/${gid}/keys?q=batch%20one`)
    expect(byNotes.body.total).toBe(5)
    expect((await s.server.api('GET', `/api/groups/${gid}/keys?q=100%25`)).body.total).toBe(0)

    const target = all.body.items[1]
    await s.direct.exec(`UPDATE api_keys SET status = 'invalid', last_error = 'HTTP 401' WHERE id = ?`, [target.id])
    const invalid = await s.server.api('GET', `/api/groups/${gid}/keys?status=invalid`)
    expect(invalid.body).toMatchObject({ total: 1, items: [{ id: target.id, status: 'invalid', lastError: 'HTTP 401' }] })
    for (const q of ['status=broken', 'pageSize=1000', 'page=-1'])
      expect((await s.server.api('GET', `/api/groups/${gid}/keys?${q}`)).status, q).toBe(400)
  })

  it.skipIf(skip)('refuses bad key input', async () => {
    for (const body of [{}, { keys: '' }, { keys: '   ' }, { keys: [] }, { keys: 5 }, { keys: 'a', extra: 1 }, { keys: '[not json' }, { keys: '[1,2]' }]) {
      const r = await s.server.api('POST', `/api/groups/${gid}/keys`, body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.body.data.code).toBe('VALIDATION')
      expect(r.body.data.issues[0].path).toMatch(/^keys|^extra/)
    }
    expect((await s.server.api('POST', '/api/groups/999999/keys', { keys: key(1) })).status).toBe(404)
    const sub = await newGroup('keys-sub')
    const agg = (await s.server.api('POST', '/api/groups', { name: 'keys-agg', channel: 'openai', type: 'aggregate', subGroups: [{ groupId: sub, weight: 1 }] })).body.id
    expect((await s.server.api('POST', `/api/groups/${agg}/keys`, { keys: key(1) })).status).toBe(400)
  })

  it.skipIf(skip)('takes a multipart .txt upload', async () => {
    const g = await newGroup('keys-upload')
    const form = new FormData()
    form.append('notes', 'uploaded')
    form.append('file', new Blob([`${key(100)}\n${key(101)}\n${key(100)}\n`], { type: 'text/plain' }), 'keys.txt')
    const r = await fetch(`${s.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: auth, body: form })
    expect(r.status).toBe(202)
    const t = await waitForTask(s.server, (await r.json()).taskId)
    expect(t.result).toEqual({ added: 2, duplicates: 1, invalid: 0, total: 3 })
    expect((await s.server.api('GET', `/api/groups/${g}/keys?q=uploaded`)).body.total).toBe(2)
    const plain = await fetch(`${s.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: `${key(102)}\n${key(101)}\n` })
    expect(plain.status).toBe(202)
    expect((await waitForTask(s.server, (await plain.json()).taskId)).result).toEqual({ added: 1, duplicates: 1, invalid: 0, total: 2 })
    expect((await fetch(`${s.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: ' \n' })).status).toBe(400)
    const empty = new FormData()
    empty.append('notes', 'no file')
    const noFile = await fetch(`${s.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: auth, body: empty })
    expect(noFile.status).toBe(400)
    expect((await noFile.json()).data.issues[0].path).toBe('file')
  })

  it.skipIf(skip)('disables, enables, annotates and deletes one key', async () => {
    const [k] = (await s.server.api('GET', `/api/groups/${gid}/keys?pageSize=1`)).body.items
    await s.direct.exec(`UPDATE api_keys SET consecutive_failures = 2, cooldown_until = ? WHERE id = ?`, [Date.now() + 60_000, k.id])
    const off = await s.server.api('PATCH', `/api/keys/${k.id}`, { status: 'disabled', notes: 'paused by ops' })
    expect(off.body).toMatchObject({ id: k.id, status: 'disabled', notes: 'paused by ops' })
    const on = await s.server.api('PATCH', `/api/keys/${k.id}`, { status: 'active' })
    expect(on.body).toMatchObject({ status: 'active', consecutiveFailures: 0, cooldownUntil: null, notes: 'paused by ops' })
    for (const body of [{}, { status: 'invalid' }, { status: 'cooling' }, { notes: 'x'.repeat(1001) }, { other: 1 }])
      expect((await s.server.api('PATCH', `/api/keys/${k.id}`, body)).status, JSON.stringify(body)).toBe(400)
    expect((await s.server.api('PATCH', '/api/keys/999999', { notes: 'x' })).status).toBe(404)
    expect((await s.server.api('DELETE', `/api/keys/${k.id}`)).status).toBe(200)
    expect((await s.server.api('DELETE', `/api/keys/${k.id}`)).status).toBe(404)
    expect((await s.server.api('POST', '/api/keys/999999/test')).status).toBe(404)
  })

  it.skipIf(skip)('exports plain keys as text/plain, filtered by status', async () => {
    const g = await newGroup('keys-export')
    await addKeys(g, { keys: [key(201), key(202), key(203)] })
    const ids = (await s.server.api('GET', `/api/groups/${g}/keys`)).body.items.map((k: any) => k.id)
    await s.server.api('PATCH', `/api/keys/${ids[1]}`, { status: 'disabled' })
    const r = await fetch(`${s.server.url}/api/groups/${g}/keys/export`, { headers: auth })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await r.text()).toBe(`${key(201)}\n${key(202)}\n${key(203)}\n`)
    const disabled = await fetch(`${s.server.url}/api/groups/${g}/keys/export?status=disabled`, { headers: auth })
    expect(await disabled.text()).toBe(`${key(202)}\n`)
    expect((await fetch(`${s.server.url}/api/groups/${g}/keys/export?status=nope`, { headers: auth })).status).toBe(400)
    expect((await fetch(`${s.server.url}/api/groups/${g}/keys/export`)).status).toBe(401)
  })

  it.skipIf(skip)('runs restore-invalid, delete-invalid and delete as tasks', async () => {
    const g = await newGroup('keys-actions')
    await addKeys(g, { keys: Array.from({ length: 10 }, (_, i) => key(300 + i)) })
    const rows = (await s.server.api('GET', `/api/groups/${g}/keys`)).body.items
    await s.direct.exec(`UPDATE api_keys SET status = 'invalid', consecutive_failures = 3 WHERE group_id = ? AND id IN (?, ?, ?, ?)`, [g, rows[0].id, rows[1].id, rows[2].id, rows[3].id])
    const act = async (body: unknown) => {
      const r = await s.server.api('POST', `/api/groups/${g}/keys/actions`, body)
      expect(r.status, JSON.stringify(r.body)).toBe(202)
      return waitForTask(s.server, r.body.taskId)
    }
    expect((await act({ action: 'restore-invalid', keys: [key(300)] })).result).toEqual({ restored: 1 })
    const restored = (await s.server.api('GET', `/api/groups/${g}/keys?q=${key(300)}`)).body.items[0]
    expect(restored).toMatchObject({ status: 'active', consecutiveFailures: 0 })
    expect((await act({ action: 'delete-invalid' })).result).toEqual({ deleted: 3 })
    expect((await s.server.api('GET', `/api/groups/${g}/keys`)).body.total).toBe(7)
    expect((await act({ action: 'delete', keys: `${key(305)}\n${key(306)}` })).result).toEqual({ deleted: 2 })
    await s.server.api('PATCH', `/api/keys/${rows[9].id}`, { status: 'disabled' })
    const t = await act({ action: 'delete', status: 'disabled' })
    expect(t).toMatchObject({ type: 'delete-keys', state: 'done', result: { deleted: 1 } })
    expect((await s.server.api('GET', `/api/groups/${g}/keys`)).body.total).toBe(4)
    for (const body of [{ action: 'explode' }, { action: 'delete' }, { action: 'delete', status: 'gone' }, { action: 'delete', keys: '' }, {}])
      expect((await s.server.api('POST', `/api/groups/${g}/keys/actions`, body)).status, JSON.stringify(body)).toBe(400)
    expect((await s.server.api('POST', '/api/groups/999999/keys/actions', { action: 'delete-invalid' })).status).toBe(404)
  })

  it.skipIf(skip)('allows one key-changing task per group: a second gets 409 naming the first', async () => {
    const g = await newGroup('keys-conflict')
    const other = await newGroup('keys-conflict-other')
    const big = Array.from({ length: 40_000 }, (_, i) => key(`c${i}`)).join('\n')
    const first = await s.server.api('POST', `/api/groups/${g}/keys`, { keys: big })
    expect(first.status).toBe(202)
    const second = await s.server.api('POST', `/api/groups/${g}/keys/actions`, { action: 'delete-invalid' })
    expect(second.status).toBe(409)
    expect(second.body.data).toMatchObject({ code: 'CONFLICT', taskId: first.body.taskId })
    expect(second.body.message).toContain(first.body.taskId)
    expect((await s.server.api('POST', `/api/groups/${g}/keys`, { keys: key('x') })).status).toBe(409)
    const form = new FormData()
    form.append('file', new Blob([key('z')]), 'k.txt')
    const upload = await fetch(`${s.server.url}/api/groups/${g}/keys`, { method: 'POST', headers: auth, body: form })
    expect(upload.status).toBe(409)
    expect((await upload.json()).data.taskId).toBe(first.body.taskId)
    // Other groups are not blocked, and reads go on.
    const parallel = await s.server.api('POST', `/api/groups/${other}/keys`, { keys: key('y') })
    expect(parallel.status).toBe(202)
    expect((await s.server.api('GET', `/api/groups/${g}/keys?pageSize=1`)).status).toBe(200)
    const running = await s.server.api('GET', '/api/tasks?state=running')
    expect(running.status).toBe(200)
    const done = await waitForTask(s.server, first.body.taskId, 60_000)
    expect(done.result.added).toBe(40_000)
    expect((await s.server.api('POST', `/api/groups/${g}/keys/actions`, { action: 'delete-invalid' })).status).toBe(202)
  })

  it.skipIf(skip)('lists tasks and 404s an unknown one', async () => {
    const r = await s.server.api('GET', '/api/tasks?pageSize=5')
    expect(r.status).toBe(200)
    expect(r.body.items.length).toBeGreaterThan(0)
    expect(Object.keys(r.body.items[0]).sort()).toEqual(['createdAt', 'error', 'groupId', 'id', 'processed', 'result', 'state', 'total', 'type', 'updatedAt'])
    expect((await s.server.api('GET', '/api/tasks/no-such-task')).status).toBe(404)
    expect((await s.server.api('GET', '/api/tasks?state=sleeping')).status).toBe(400)
  })
})
