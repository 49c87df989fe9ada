import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { skipReason, testEnv } from '../../support/env'
import { runServerToExit, startServer } from '../../support/server'

const ENCRYPTION_KEY = 'mysql-suite-encryption-key-0123'

describe.skipIf(!testEnv.mysqlUrl || !testEnv.redisUrl)(
  `MySQL + Redis startup${testEnv.mysqlUrl && testEnv.redisUrl ? '' : ` (skipped: ${skipReason.mysql}; ${skipReason.redis})`}`,
  () => {
    const dbName = `keygate_found_${randomBytes(4).toString('hex')}`
    let admin: mysql.Connection
    let dsn: string
    const prefix = `kg-found-${dbName}:`

    beforeAll(async () => {
      const u = new URL(testEnv.mysqlUrl)
      admin = await mysql.createConnection({
        host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
      })
      await admin.query(`CREATE DATABASE \`${dbName}\``)
      u.pathname = `/${dbName}`
      dsn = u.toString()
    })
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``)
      await admin.end()
    })

    const env = () => ({ DATABASE_DSN: dsn, REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: prefix, ENCRYPTION_KEY })
    const migrationRows = async () => (await admin.query(`SELECT hash, created_at FROM \`${dbName}\`.__drizzle_migrations ORDER BY id`))[0]

    it('two instances starting at once on an empty database both come up, migrating once', async () => {
      const [a, b] = await Promise.all([startServer({ env: env() }), startServer({ env: env() })])
      for (const s of [a, b]) {
        const r = await fetch(`${s.url}/ready`)
        expect(r.status).toBe(200)
      }
      const [tables] = await admin.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?`, [dbName])
      expect((tables as { name: string }[]).map(t => t.name)).toEqual(expect.arrayContaining(['groups', 'group_sub_groups', 'api_keys', 'proxy_keys', 'request_logs', 'hourly_stats', 'settings', 'tasks']))
      const applied = await migrationRows()
      expect((applied as unknown[]).length).toBeGreaterThan(0)
      expect(await a.stop()).toBe(0)
      expect(await b.stop()).toBe(0)

      // A second start is a no-op for the schema.
      const c = await startServer({ env: env() })
      expect(await migrationRows()).toEqual(applied)
      expect(await c.stop()).toBe(0)
    })

    it('accepts GPT-Load\'s DSN form', async () => {
      const u = new URL(dsn)
      const goDsn = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}@tcp(${u.host})/${dbName}?charset=utf8mb4&parseTime=True&loc=Local`
      const s = await startServer({ env: { ...env(), DATABASE_DSN: goDsn } })
      expect((await fetch(`${s.url}/ready`)).status).toBe(200)
      expect(s.output()).not.toContain(decodeURIComponent(u.password) + '@')
      await s.stop()
    })

    it('refuses a wrong ENCRYPTION_KEY for an existing database', async () => {
      const r = await runServerToExit({ ...env(), ENCRYPTION_KEY: 'some-other-encryption-key-999' })
      expect(r.code).toBe(1)
      expect(r.output).toContain('keygate: ENCRYPTION_KEY: does not match')
    })
  },
)
