import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle as drizzleSqlite, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzleMysql, type MySql2Database } from 'drizzle-orm/mysql2'
import { migrate as migrateMysql } from 'drizzle-orm/mysql2/migrator'
import mysql from 'mysql2/promise'
import type { DatabaseTarget } from '../server/config/schema'
import * as mysqlSchema from './schema/mysql'
import * as sqliteSchema from './schema/sqlite'

export { mysqlSchema, sqliteSchema }

export type SqliteDb = BetterSQLite3Database<typeof sqliteSchema>
export type MysqlDb = MySql2Database<typeof mysqlSchema>

/** One handle per process; services branch on `dialect` where the two query builders differ. */
export type Db =
  | { dialect: 'sqlite'; db: SqliteDb; raw: Database.Database; close: () => Promise<void> }
  | { dialect: 'mysql'; db: MysqlDb; pool: mysql.Pool; close: () => Promise<void> }

/**
 * Where the committed migrations are: shipped next to the built server, or in the source tree
 * (unit tests and CLIs run from it; a build's copy may be older than the source).
 */
export function migrationsDir(dialect: 'sqlite' | 'mysql'): string {
  const candidates = [
    process.env.KEYGATE_MIGRATIONS_DIR,
    process.argv[1] ? join(dirname(resolve(process.argv[1])), 'db/migrations') : undefined,
    join(process.cwd(), 'db/migrations'),
    join(process.cwd(), '.output/server/db/migrations'),
  ].filter((p): p is string => !!p)
  for (const base of candidates) {
    const dir = join(base, dialect)
    if (existsSync(join(dir, 'meta/_journal.json'))) return dir
  }
  throw new Error(`database migrations for ${dialect} not found (looked in ${candidates.join(', ')})`)
}

export async function openDb(target: DatabaseTarget): Promise<Db> {
  if (target.dialect === 'sqlite') {
    if (target.file !== ':memory:') mkdirSync(dirname(resolve(target.file)), { recursive: true })
    const raw = new Database(target.file)
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.pragma('busy_timeout = 5000')
    raw.pragma('foreign_keys = ON')
    const db = drizzleSqlite(raw, { schema: sqliteSchema })
    return { dialect: 'sqlite', db, raw, close: async () => { raw.close() } }
  }
  const pool = mysql.createPool({
    uri: target.url,
    connectionLimit: 10,
    enableKeepAlive: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4',
  })
  try { await pool.query('SELECT 1') } catch (err) { await pool.end().catch(() => {}); throw err }
  const db = drizzleMysql(pool, { schema: mysqlSchema, mode: 'default' })
  return { dialect: 'mysql', db, pool, close: () => pool.end() }
}

const MIGRATION_LOCK = 'keygate_migrations'

/**
 * Applies pending migrations. On MySQL, instances starting together serialise on a named
 * database lock held on one connection, so only one runs the DDL and the rest see it done.
 */
export async function runMigrations(handle: Db, lockTimeoutSeconds = 120): Promise<void> {
  if (handle.dialect === 'sqlite') {
    migrateSqlite(handle.db, { migrationsFolder: migrationsDir('sqlite') })
    return
  }
  const conn = await handle.pool.getConnection()
  try {
    const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [MIGRATION_LOCK, lockTimeoutSeconds])
    if ((rows as { got: number }[])[0]?.got !== 1) throw new Error(`timed out waiting ${lockTimeoutSeconds}s for the migration lock`)
    try {
      await migrateMysql(drizzleMysql(conn, { schema: mysqlSchema, mode: 'default' }), { migrationsFolder: migrationsDir('mysql') })
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK])
    }
  } finally {
    conn.release()
  }
}
