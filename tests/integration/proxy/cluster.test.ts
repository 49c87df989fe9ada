import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecret } from '../../../shared/mask'
import { testEnv } from '../../support/env'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, seed, type Seeded } from '../../support/proxySeed'
import { startServer, type RunningServer } from '../../support/server'

/**
 * Two instances on one MariaDB and one Redis: a key that cools down or is disabled on one
 * instance is skipped by the other within a second.
 */
const enabled = !!testEnv.mysqlUrl && !!testEnv.redisUrl
// Distinct ends: the console shows keys masked as the first 5 and last 4 characters.
const KEYS = ['sk-cluster-upstream-key-abcdef-0001', 'sk-cluster-upstream-key-abcdef-0002', 'sk-cluster-upstream-key-abcdef-0003']
let mock: MockUpstream
let a: Seeded
let b: RunningServer
let dbName = ''
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

describe.skipIf(!enabled)(`cluster key state${enabled ? '' : ' (skipped: set KEYGATE_TEST_MYSQL_URL and KEYGATE_TEST_REDIS_URL to run it)'}`, () => {
  beforeAll(async () => {
    mock = await startMockUpstream()
    dbName = `keygate_proxy_${randomBytes(4).toString('hex')}`
    const admin = await mysql.createConnection(testEnv.mysqlUrl)
    await admin.query(`CREATE DATABASE \`${dbName}\``)
    await admin.end()
    const u = new URL(testEnv.mysqlUrl)
    u.pathname = `/${dbName}`
    const env = { DATABASE_DSN: u.toString(), REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: `${dbName}:`, ENCRYPTION_KEY: 'cluster-test-encryption-key-0123' }
    const first = await startServer({ env })
    a = await seed(first, [{ name: 'c', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: KEYS }])
    b = await startServer({ env })
  })
  afterAll(async () => {
    await b?.stop()
    await a?.server.stop()
    await mock?.close()
    if (dbName) {
      const admin = await mysql.createConnection(testEnv.mysqlUrl)
      await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``)
      await admin.end()
    }
    const out = (a?.server.output() ?? '') + (b?.output() ?? '')
    for (const k of KEYS) expect(out.includes(k)).toBe(false)
  })

  const chat = async (server: RunningServer) => {
    const r = await fetch(`${server.url}/proxy/c/v1/chat/completions`, {
      method: 'POST', headers: { 'authorization': `Bearer ${a.proxyKeys[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    })
    await r.text()
    return r.status
  }

  it('a key cooling on one instance is skipped by the other within a second', async () => {
    mock.onKey(KEYS[0]!, { status: 429, headers: { 'retry-after': '30' } })
    for (let i = 0; i < 3; i++) expect(await chat(a.server)).toBe(200)
    expect(mock.keysUsed().filter(k => k === KEYS[0]).length).toBe(1)
    await sleep(1000)
    mock.reset()
    for (let i = 0; i < 12; i++) expect(await chat(b)).toBe(200)
    expect(mock.keysUsed()).not.toContain(KEYS[0])
  })

  it('a key an admin disables through one instance is skipped by the other within a second', async () => {
    const row = (await keyRows(a.server, a.groupIds.c!)).find((r: any) => r.masked === maskSecret(KEYS[1]!))
    expect((await a.server.api('PATCH', `/api/keys/${row.id}`, { status: 'disabled' })).status).toBe(200)
    await sleep(1000)
    mock.reset()
    for (let i = 0; i < 12; i++) expect(await chat(b)).toBe(200)
    expect([...new Set(mock.keysUsed())]).toEqual([KEYS[2]])
  })
})
