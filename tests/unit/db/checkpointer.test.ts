import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { openDb } from '../../../db/client'
import { startCheckpointer } from '../../../db/checkpointer'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })
function tempFile() {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-wal-'))
  dirs.push(dir)
  return join(dir, 'keygate.db')
}

const walBytes = (file: string) => { try { return statSync(`${file}-wal`).size } catch { return 0 } }
const autocheckpoint = (raw: Database.Database) => raw.pragma('wal_autocheckpoint', { simple: true })

/** Writes `rows` rows of about 1 KB each, 100 to a transaction. */
function write(raw: Database.Database, rows: number) {
  raw.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)')
  const ins = raw.prepare('INSERT INTO t (v) VALUES (?)')
  const tx = raw.transaction((n: number) => { for (let i = 0; i < n; i++) ins.run('x'.repeat(1000)) })
  for (let done = 0; done < rows; done += 100) tx(Math.min(100, rows - done))
}

describe('WAL checkpoints on a worker thread', () => {
  it('takes checkpoints off the writing connection and keeps the WAL from growing', async () => {
    // Without checkpoints a WAL only grows: 20,000 rows of 1 KB is well over 20 MB.
    const plainFile = tempFile()
    const plain = new Database(plainFile)
    plain.pragma('journal_mode = WAL')
    plain.pragma('wal_autocheckpoint = 0')
    write(plain, 20_000)
    expect(walBytes(plainFile)).toBeGreaterThan(20_000_000)
    plain.close()

    const file = tempFile()
    const raw = new Database(file)
    raw.pragma('journal_mode = WAL')
    const cp = await startCheckpointer(raw, { intervalMs: 60_000 })
    expect(autocheckpoint(raw)).toBe(0)
    // With the worker checkpointing between bursts, SQLite starts the WAL over each time.
    for (let burst = 0; burst < 10; burst++) {
      write(raw, 2000)
      const r = await cp.checkpoint()
      expect(r).toMatchObject({ ok: true })
      if (r.ok) expect(r.checkpointed).toBe(r.walPages)
    }
    expect(walBytes(file)).toBeLessThan(6_000_000)
    await cp.stop()
    expect(autocheckpoint(raw)).toBe(1000)
    expect(raw.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 20_000 })
    raw.close()
  }, 60_000)

  it('runs on its own timer when the database is opened with background checkpoints, and closes cleanly', async () => {
    const file = tempFile()
    const db = await openDb({ dialect: 'sqlite', file }, { backgroundCheckpoints: true })
    if (db.dialect !== 'sqlite') throw new Error('expected SQLite')
    expect(autocheckpoint(db.raw)).toBe(0)
    // Each burst is 2,000 rows (over 2 MB); the 1 s timer lets the next burst start the WAL over.
    for (let burst = 0; burst < 4; burst++) {
      write(db.raw, 2000)
      await new Promise(r => setTimeout(r, 1300))
    }
    expect(walBytes(file)).toBeLessThan(4_000_000)
    await db.close()
    // The last connection folded the WAL back into the database and removed it.
    expect(walBytes(file)).toBe(0)
    const again = new Database(file, { readonly: true })
    expect(again.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 8000 })
    again.close()
  }, 30_000)

  it('leaves checkpointing with the connection when the worker cannot start', async () => {
    const file = tempFile()
    const raw = new Database(file)
    raw.pragma('journal_mode = WAL')
    // The worker opens the file by name and requires it to exist.
    rmSync(file)
    await expect(startCheckpointer(raw)).rejects.toThrow(/checkpoint worker cannot open .*keygate.db: unable to open database file/)
    expect(autocheckpoint(raw)).toBe(1000)
    raw.close()
  })
})
