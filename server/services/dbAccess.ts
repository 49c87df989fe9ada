import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { Db, SqliteDb } from '../../db/client'
import { mysqlSchema, sqliteSchema } from '../../db/client'

/**
 * One code path for both dialects where Drizzle's builders agree (select, update, delete, plain
 * insert): the handle's own tables and builder, typed as the SQLite ones since the row types are
 * identical (tests/unit/db/schema-types). Every query is awaited, which both drivers support.
 * Dialect-specific SQL (upserts, bulk inserts, insert ids) still branches on `dialect`.
 */
export function access(handle: Db) {
  const t = (handle.dialect === 'sqlite' ? sqliteSchema : mysqlSchema) as unknown as typeof sqliteSchema
  return { db: handle.db as unknown as SqliteDb, t, dialect: handle.dialect }
}

/** The id of a row just inserted (SQLite RunResult or mysql2 ResultSetHeader). */
export function insertedId(result: unknown): number {
  const r = (Array.isArray(result) ? result[0] : result) as { lastInsertRowid?: number | bigint; insertId?: number }
  return Number(r.lastInsertRowid ?? r.insertId)
}

/** Rows changed by a write on either driver. */
export function affectedRows(result: unknown): number {
  const r = (Array.isArray(result) ? result[0] : result) as { changes?: number; affectedRows?: number }
  return Number(r.changes ?? r.affectedRows ?? 0)
}

/**
 * Runs `fn` in a transaction. On SQLite the driver is synchronous, so an `fn` that awaits only
 * its own queries runs to the end before any other request's code: BEGIN/COMMIT on the single
 * connection is safe. `fn` must not await network I/O (publish after the commit instead).
 */
export async function inTransaction<T>(handle: Db, fn: (db: SqliteDb) => Promise<T>): Promise<T> {
  if (handle.dialect === 'sqlite') {
    handle.raw.exec('BEGIN IMMEDIATE')
    try {
      const r = await fn(handle.db)
      handle.raw.exec('COMMIT')
      return r
    } catch (err) {
      if (handle.raw.inTransaction) handle.raw.exec('ROLLBACK')
      throw err
    }
  }
  return handle.db.transaction(tx => fn(tx as unknown as SqliteDb))
}

/** Runs a raw `sql` query on a handle or transaction (`run` on SQLite, `execute` on MySQL). */
export async function execSql(handle: Db, db: SqliteDb, query: SQL): Promise<unknown> {
  if (handle.dialect === 'sqlite') return db.run(query)
  return (db as unknown as { execute: (q: SQL) => Promise<unknown> }).execute(query)
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, c => `\\${c}`)

/** `column LIKE %text%` with the wildcards in `text` taken literally, on either dialect. */
export function contains(handle: Db, column: SQLWrapper, text: string): SQL {
  const pattern = `%${escapeLike(text)}%`
  // MySQL escapes with a backslash by default; SQLite needs to be told.
  return handle.dialect === 'sqlite' ? sql`${column} LIKE ${pattern} ESCAPE '\\'` : sql`${column} LIKE ${pattern}`
}
