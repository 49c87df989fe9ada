import { describe, expect, it } from 'vitest'
import { KeyPool } from '../../../server/proxy/keypool/pool'
import { createReloadQueue, reloadPoolPaged, type ReloadWork } from '../../../server/proxy/keypool/reload'
import { applyKeyRows, syncPool } from '../../../server/proxy/keypool/sync'
import type { PoolKeyRow } from '../../../server/proxy/ports'

const row = (id: number, status: PoolKeyRow['status'] = 'active', cooldownUntil: number | null = null): PoolKeyRow =>
  ({ id, groupId: 1, keyCiphertext: `c${id}`, status, consecutiveFailures: 0, cooldownUntil, lastError: null })

function counting() {
  const decrypted: string[] = []
  return { decrypted, decrypt: (c: string) => { decrypted.push(c); return `sk-secret-${c}` } }
}

/** A page reader over an in-memory table, in id order as the database serves it. */
function table(rows: PoolKeyRow[]) {
  const sorted = () => [...rows].sort((a, b) => a.id - b.id)
  const reads: number[] = []
  return {
    rows, reads,
    read: async (after: number, limit: number) => {
      const page = sorted().filter(r => r.id > after).slice(0, limit)
      reads.push(page.length)
      return page
    },
  }
}

describe('applyKeyRows (a notice naming keys)', () => {
  it('adds new ids, applies changed ones and removes deleted ones, touching nothing else', () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1), row(2), row(3)], s => s, () => {})
    const { decrypt, decrypted } = counting()
    applyKeyRows(p, [2, 3, 4], [row(2, 'disabled'), row(4)], decrypt, () => {})
    expect([...p.byId.keys()].sort()).toEqual([1, 2, 4])
    expect(p.byId.get(2)!.status).toBe('disabled')
    expect(p.byId.get(4)!.secret).toBe('sk-secret-c4')
    expect(decrypted).toEqual(['c4'])
    expect(p.counts).toEqual({ active: 2, cooling: 0, invalid: 0, disabled: 1 })
  })

  it("lets an admin's status win over in-memory state, and keeps a cooldown the database does not know", () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1), row(2)], s => s, () => {})
    const now = Date.now()
    p.transition(p.byId.get(1)!, 'cooling', now + 60_000)
    p.transition(p.byId.get(2)!, 'cooling', now + 60_000)
    // Key 1's row still says active (our cooldown is not written yet); key 2 was disabled by an admin.
    applyKeyRows(p, [1, 2], [row(1), row(2, 'disabled')], s => s, () => {})
    expect(p.byId.get(1)!.status).toBe('cooling')
    expect(p.byId.get(1)!.cooldownUntil).toBe(now + 60_000)
    expect(p.byId.get(2)!.status).toBe('disabled')
    expect(p.next(now + 120_000)!.id).toBe(1)
    // Enabled again by the admin: usable at once.
    applyKeyRows(p, [2], [row(2, 'active')], s => s, () => {})
    expect(p.byId.get(2)!.status).toBe('active')
  })

  it('skips rows of another group and rows that do not decrypt', () => {
    const p = new KeyPool(1)
    const bad: number[] = []
    applyKeyRows(p, [5, 6], [{ ...row(5), groupId: 2 }, row(6)], () => { throw new Error('no') }, id => bad.push(id))
    expect(p.size).toBe(0)
    expect(bad).toEqual([6])
  })
})

describe('reloadPoolPaged (a whole group, a page at a time)', () => {
  it('loads every page, decrypts only new rows, applies changes and drops deleted keys after the last page', async () => {
    const t = table(Array.from({ length: 2500 }, (_, i) => row(i + 1)))
    const p = new KeyPool(1)
    const first = counting()
    await reloadPoolPaged(p, t.read, first.decrypt, () => {}, { pageSize: 1000 })
    expect(p.size).toBe(2500)
    expect(first.decrypted.length).toBe(2500)
    expect(t.reads).toEqual([1000, 1000, 500])

    const now = Date.now()
    p.transition(p.byId.get(10)!, 'cooling', now + 60_000)
    t.rows.splice(0, 3) // ids 1..3 deleted
    t.rows[10] = row(14, 'disabled')
    t.rows.push(row(9001), row(9002))
    const second = counting()
    await reloadPoolPaged(p, t.read, second.decrypt, () => {}, { pageSize: 1000 })
    expect(second.decrypted.sort()).toEqual(['c9001', 'c9002'])
    expect(p.size).toBe(2499)
    expect([1, 2, 3].some(id => p.byId.has(id))).toBe(false)
    expect(p.byId.get(14)!.status).toBe('disabled')
    expect(p.byId.get(10)!.status).toBe('cooling')
    expect(p.counts).toEqual({ active: 2497, cooling: 1, invalid: 0, disabled: 1 })
  })

  it('puts keys into rotation in the order they were added, across pages', async () => {
    const rows = [row(5), row(1), row(4), row(2), row(3)]
    const p = new KeyPool(1)
    await reloadPoolPaged(p, table(rows).read, s => s, () => {}, { pageSize: 2 })
    expect(Array.from({ length: 5 }, () => p.next(0)!.id)).toEqual([1, 2, 3, 4, 5])
  })

  it('empties the pool when the group has no rows left', async () => {
    const p = new KeyPool(1)
    syncPool(p, [row(1), row(2)], s => s, () => {})
    await reloadPoolPaged(p, table([]).read, s => s, () => {})
    expect(p.size).toBe(0)
    expect(p.next(Date.now())).toBeNull()
  })

  it('yields to the event loop while it works: timers keep firing', async () => {
    // Ids 1..n in order: the reader costs nothing, the reload is what runs.
    const rows = Array.from({ length: 60_000 }, (_, i) => row(i + 1))
    const read = async (after: number, limit: number) => rows.slice(after, after + limit)
    // A decrypt costing ~10 µs, about what AES-GCM plus a Buffer round trip costs here.
    const slowDecrypt = (c: string) => { const end = performance.now() + 0.01; while (performance.now() < end); return c }
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 5)
    const pool = new KeyPool(1)
    await reloadPoolPaged(pool, read, slowDecrypt, () => {}, { pageSize: 5000, sliceMs: 10 })
    clearInterval(timer)
    // At least 600 ms of decrypting: done in one go, the timer would not have fired before it ended.
    // How long a turn may run is a bench check (bench/checks), not asserted here.
    expect(pool.size).toBe(rows.length)
    expect(ticks).toBeGreaterThan(0)
  })
})

describe('createReloadQueue', () => {
  const tick = () => new Promise(r => setImmediate(r))

  it('never runs two reloads of a group at once, and merges notices that arrive meanwhile into one more run', async () => {
    const runs: ReloadWork[] = []
    let running = 0, overlap = false
    let release!: () => void
    const q = createReloadQueue(async (_g, work) => {
      if (running++) overlap = true
      runs.push(work)
      await new Promise<void>((r) => { release = r })
      running--
    }, () => {})
    const done = q.request(1)
    await tick()
    q.request(1, [5])
    q.request(1, [6])
    q.request(1, [5, 7])
    release()
    await tick()
    expect(runs).toEqual([{ full: true }, { full: false, ids: [5, 6, 7] }])
    q.request(1)
    q.request(1, [8])
    release()
    await tick()
    expect(runs.at(-1)).toEqual({ full: true })
    release()
    await done
    expect(runs.length).toBe(3)
    expect(overlap).toBe(false)
    expect(q.busy).toBe(0)
  })

  it('turns too many ids into one full reload, and runs different groups independently', async () => {
    const runs: [number, ReloadWork][] = []
    const q = createReloadQueue(async (g, work) => { runs.push([g, work]) }, () => {}, 3)
    await Promise.all([q.request(1, [1, 2]), q.request(1, [3, 4]), q.request(2, [9])])
    expect(runs).toEqual([[1, { full: true }], [2, { full: false, ids: [9] }]])
  })

  it('goes on after a failed reload', async () => {
    const errors: unknown[] = []
    let n = 0
    const q = createReloadQueue(async () => { if (n++ === 0) throw new Error('db down') }, err => errors.push(err))
    await q.request(1)
    await q.request(1)
    expect(errors.length).toBe(1)
    expect(n).toBe(2)
  })
})
