import type { PoolKeyRow } from '../ports'
import type { KeyPool } from './pool'
import { applyRow, type Decrypt, type OnUndecryptable } from './sync'

export type PageReader = (afterId: number, limit: number) => Promise<PoolKeyRow[]>
export type PagedReloadOptions = { pageSize?: number; sliceMs?: number }

const yieldToLoop = () => new Promise<void>(r => setImmediate(r))

/**
 * Reloads a whole group without holding the event loop: rows come a page at a time, and are
 * applied in slices of about `sliceMs` with a turn of the event loop in between, so /health and
 * proxy requests keep being served while a million keys load. Only rows not yet in the pool are
 * decrypted (the expensive part). Keys whose rows no page returned were deleted and leave the
 * pool after the last page. Same merge rules as syncPool (applyRow).
 */
export async function reloadPoolPaged(
  pool: KeyPool,
  readPage: PageReader,
  decrypt: Decrypt,
  onUndecryptable: OnUndecryptable,
  opts: PagedReloadOptions = {},
) {
  const pageSize = opts.pageSize ?? 2000
  const sliceMs = opts.sliceMs ?? 10
  const mark = ++pool.reloads
  let after = 0
  for (;;) {
    // Pages come in id order, so keys join the rotation in the order they were added; keys used
    // one after another then sit next to each other in the database too (their counters are
    // updated in batches, and a random order made that several times dearer with 1M keys).
    const rows = await readPage(after, pageSize)
    if (!rows.length) break
    after = rows[rows.length - 1]!.id
    let sliceStart = performance.now()
    const now = Date.now()
    for (let i = 0; i < rows.length; i++) {
      const k = applyRow(pool, rows[i]!, decrypt, onUndecryptable, now)
      if (k) k.seenInReload = mark
      if ((i & 127) === 127 && performance.now() - sliceStart > sliceMs) {
        await yieldToLoop()
        sliceStart = performance.now()
      }
    }
    // A synchronous (SQLite) page read plus its slice is one turn: let others in before the next.
    await yieldToLoop()
    if (rows.length < pageSize) break
  }
  const gone: number[] = []
  let i = 0
  for (const k of pool.byId.values()) {
    if (k.seenInReload !== mark) gone.push(k.id)
    if ((++i & 0xffff) === 0) await yieldToLoop()
  }
  for (const id of gone) pool.delete(id)
}

/** What a group's reload has to cover: everything, or only some key ids. */
export type ReloadWork = { full: true } | { full: false; ids: number[] }

/**
 * Runs reloads one group at a time, never two of the same group at once and never a pile of
 * them: notices arriving while a group reloads are merged (ids collected, or one full reload)
 * and run once afterwards. `request` resolves when the group has nothing left to reload.
 */
export function createReloadQueue(
  run: (groupId: number, work: ReloadWork) => Promise<void>,
  onError: (err: unknown, groupId: number) => void,
  maxIds = 1000,
) {
  type State = { full: boolean; ids: Set<number>; running: Promise<void> | null }
  const groups = new Map<number, State>()

  async function drain(groupId: number, s: State) {
    // Start on a later turn, so notices published together are merged into one run.
    await Promise.resolve()
    while (s.full || s.ids.size) {
      const work: ReloadWork = s.full ? { full: true } : { full: false, ids: [...s.ids] }
      s.full = false
      s.ids.clear()
      try { await run(groupId, work) } catch (err) { onError(err, groupId) }
    }
    s.running = null
    groups.delete(groupId)
  }

  return {
    /** Asks for a reload of `ids` of a group, or of all its keys when `ids` is absent. */
    request(groupId: number, ids?: readonly number[]): Promise<void> {
      let s = groups.get(groupId)
      if (!s) groups.set(groupId, (s = { full: false, ids: new Set(), running: null }))
      if (!ids) { s.full = true; s.ids.clear() } else if (!s.full) {
        for (const id of ids) s.ids.add(id)
        if (s.ids.size > maxIds) { s.full = true; s.ids.clear() }
      }
      if (!s.running) s.running = drain(groupId, s)
      return s.running
    },
    /** Groups with a reload running or waiting. */
    get busy() { return groups.size },
  }
}
