import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import { testEnv } from './env'
import { startServer, type RunningServer, type StartOptions } from './server'

/** A throwaway MariaDB database for one test file (others run tests against the same server). */
export async function createMysqlDatabase(area: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `keygate_${area}_${randomBytes(4).toString('hex')}`
  const admin = await mysql.createConnection(testEnv.mysqlUrl)
  await admin.query(`CREATE DATABASE \`${name}\``)
  await admin.end()
  const u = new URL(testEnv.mysqlUrl)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    async drop() {
      const c = await mysql.createConnection(testEnv.mysqlUrl)
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

export type BackendName = 'sqlite' | 'mysql'
/** The backends a suite runs on: SQLite always, MariaDB when KEYGATE_TEST_MYSQL_URL is set. */
export const BACKENDS: { name: BackendName; skip: boolean; title: string }[] = [
  { name: 'sqlite', skip: false, title: 'SQLite' },
  { name: 'mysql', skip: !testEnv.mysqlUrl, title: testEnv.mysqlUrl ? 'MariaDB' : 'MariaDB (skipped: set KEYGATE_TEST_MYSQL_URL to run it)' },
]

export type Direct = {
  /** Runs SQL with `?` placeholders straight on the server's database (test fixtures, checks). */
  exec(sql: string, params?: unknown[]): Promise<void>
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

export type BackendServer = { server: RunningServer; direct: Direct; stop: () => Promise<void>; env: Record<string, string> }

/** Starts the built server on the given backend, with direct access to its database. */
export async function startOn(backend: BackendName, area: string, opts: StartOptions = {}): Promise<BackendServer> {
  if (backend === 'sqlite') {
    const server = await startServer(opts)
    const db = new Database(join(server.dataDir, 'keygate.db'))
    db.pragma('busy_timeout = 5000')
    const direct: Direct = {
      async exec(sql, params = []) { db.prepare(sql).run(...(params as never[])) },
      async query(sql, params = []) { return db.prepare(sql).all(...(params as never[])) as never },
      async close() { db.close() },
    }
    return { server, direct, env: {}, stop: async () => { db.close(); await server.stop() } }
  }
  const database = await createMysqlDatabase(area)
  const env = { DATABASE_DSN: database.url, ENCRYPTION_KEY: 'test-encryption-key-0123456789' }
  const server = await startServer({ ...opts, env: { ...env, ...opts.env } })
  const pool = mysql.createPool({ uri: database.url, connectionLimit: 2 })
  const direct: Direct = {
    async exec(sql, params = []) { await pool.query(sql, params) },
    async query(sql, params = []) { return (await pool.query(sql, params))[0] as never },
    async close() { await pool.end() },
  }
  return { server, direct, env, stop: async () => { await pool.end(); await server.stop(); await database.drop() } }
}

/** Polls a task until it leaves `running`. */
export async function waitForTask(server: RunningServer, taskId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await server.api('GET', `/api/tasks/${taskId}`)
    if (r.status !== 200) throw new Error(`task ${taskId}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
    if (r.body.state !== 'running') return r.body
    if (Date.now() > deadline) throw new Error(`task ${taskId} still running after ${timeoutMs} ms: ${JSON.stringify(r.body)}`)
    await new Promise(res => setTimeout(res, 50))
  }
}

export const upstream = (url = 'http://127.0.0.1:9/v1') => [{ url, weight: 1 }]

/**
 * Fills the stats rollups from request-log rows a test inserted directly (bypassing the writer):
 * runs the backfill statements of the migration that introduced the rollups, so fixtures and
 * upgrades share one definition of what the rollups hold.
 */
export async function backfillRollups(direct: Pick<Direct, 'exec'>, backend: BackendName) {
  const file = join(import.meta.dirname, '../../db/migrations', backend, '0005_stats_rollups.sql')
  for (const statement of readFileSync(file, 'utf8').split('--> statement-breakpoint')) {
    if (/^\s*(INSERT|UPDATE)\b/.test(statement)) await direct.exec(statement)
  }
}
