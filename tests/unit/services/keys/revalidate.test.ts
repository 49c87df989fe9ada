import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDb, runMigrations, type Db } from '../../../../db/client'
import type { Logger } from '../../../../server/logger'
import type { Change } from '../../../../server/services/changes'
import { access } from '../../../../server/services/dbAccess'
import { createKeyCipher } from '../../../../server/services/keys/cipher'
import { insertKeyBatch } from '../../../../server/services/keys/import'
import { createInvalidKeyRevalidation, type KeyValidator } from '../../../../server/services/keys/validation'
import type { KeyTestResult } from '../../../../shared/schemas/keys'
import { DEFAULT_SETTINGS } from '../../../../shared/settings'
import type { GroupRow, KeyStatus } from '../../../../shared/types/rows'
import { groupRow } from '../../../support/groups'

const cipher = createKeyCipher('test-encryption-key-0123456789')
const T = 1_000_000_000
const MINUTE = 60_000

let dir: string
let db: Db
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keygate-revalidate-'))
  db = await openDb({ dialect: 'sqlite', file: join(dir, 'keygate.db') })
  await runMigrations(db)
})
afterEach(async () => {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})

async function addGroup(over: Partial<GroupRow>) {
  const { db: q, t } = access(db)
  await q.insert(t.groups).values(groupRow(over))
}

/** Adds keys `${prefix}-1…n` to the group with the given statuses; returns their ids in order. */
async function addKeys(groupId: number, prefix: string, statuses: KeyStatus[]) {
  const secrets = statuses.map((_, i) => `${prefix}-${i + 1}-0123456789`)
  await insertKeyBatch(db, cipher, groupId, secrets)
  const { db: q, t } = access(db)
  const ids: number[] = []
  for (const [i, secret] of secrets.entries()) {
    const row = (await q.select().from(t.apiKeys).where(eq(t.apiKeys.keyHash, cipher.hash(secret))))[0]!
    await q.update(t.apiKeys).set({ status: statuses[i]!, consecutiveFailures: 3, lastError: 'x' }).where(eq(t.apiKeys.id, row.id))
    ids.push(row.id)
  }
  return ids
}

async function keyRows(groupId: number) {
  const { db: q, t } = access(db)
  return (await q.select().from(t.apiKeys)).filter(r => r.groupId === groupId).sort((a, b) => a.id - b.id)
}

function harness(failing: Set<string>) {
  const published: Change[] = []
  const lines: string[] = []
  const validated: string[] = []
  let inFlight = 0
  let maxInFlight = 0
  const validate: KeyValidator = async (_group, key): Promise<KeyTestResult> => {
    validated.push(key)
    maxInFlight = Math.max(maxInFlight, ++inFlight)
    await new Promise(r => setTimeout(r, 5))
    inFlight--
    return failing.has(key) ? { ok: false, status: 401, latencyMs: 5, error: 'invalid api key' } : { ok: true, status: 200, latencyMs: 5, error: null }
  }
  const log = { info: (line: string) => lines.push(line) } as unknown as Logger
  const pass = createInvalidKeyRevalidation({
    db, cipher, log, validate,
    changes: { publish: async (c) => { published.push(c) } },
    settings: { current: () => DEFAULT_SETTINGS },
  })
  const run = (at: number) => pass(new AbortController().signal, at)
  return { run, published, lines, validated, maxInFlight: () => maxInFlight }
}

describe('background re-validation of invalid keys', () => {
  it('restores invalid keys that pass, leaves the others, and waits for the group interval from when the group was first seen', async () => {
    await addGroup({ id: 1, name: 'g1', config: { key_validation_interval_minutes: 5, key_validation_concurrency: 2 } })
    const ids = await addKeys(1, 'sk-reval', ['invalid', 'invalid', 'invalid', 'invalid', 'active'])
    const h = harness(new Set(['sk-reval-2-0123456789']))

    // The first sighting only starts the group's clock: nothing is re-tested at once.
    await h.run(T - 5 * MINUTE)
    expect(h.validated.length).toBe(0)
    await h.run(T - MINUTE)
    expect(h.validated.length).toBe(0)
    await h.run(T)
    expect(h.validated.length).toBe(4)
    expect(h.maxInFlight()).toBe(2)
    const rows = await keyRows(1)
    expect(rows.map(r => r.status)).toEqual(['active', 'invalid', 'active', 'active', 'active'])
    expect(rows[0]!.consecutiveFailures).toBe(0)
    expect(rows[0]!.lastError).toBeNull()
    expect(rows[1]!.lastError).toBe('invalid api key')
    // Every instance reloads exactly the keys that were re-tested.
    expect(h.published).toEqual([{ type: 'keys', groupId: 1, keyIds: ids.slice(0, 4) }])
    expect(h.lines).toEqual(['key validation: group g1: 3 of 4 invalid keys restored'])

    await h.run(T + MINUTE)
    expect(h.validated.length).toBe(4)
    await h.run(T + 5 * MINUTE)
    expect(h.validated.length).toBe(5)
    expect(h.validated[4]).toBe('sk-reval-2-0123456789')
  })

  it('skips disabled and aggregate groups, and never touches a disabled key', async () => {
    await addGroup({ id: 1, name: 'off', enabled: false, config: { key_validation_interval_minutes: 1 } })
    await addGroup({ id: 2, name: 'on', config: { key_validation_interval_minutes: 1 } })
    await addGroup({ id: 3, name: 'agg', type: 'aggregate', config: { key_validation_interval_minutes: 1 } })
    await addKeys(1, 'sk-off', ['invalid'])
    await addKeys(2, 'sk-on', ['invalid', 'disabled'])
    const h = harness(new Set())
    await h.run(T)
    await h.run(T + MINUTE)
    expect(h.validated).toEqual(['sk-on-1-0123456789'])
    expect((await keyRows(1)).map(r => r.status)).toEqual(['invalid'])
    expect((await keyRows(2)).map(r => r.status)).toEqual(['active', 'disabled'])
  })
})
