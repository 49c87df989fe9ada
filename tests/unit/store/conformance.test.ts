import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IpcPort } from '../../../server/cluster/port'
import { createIpcStore } from '../../../server/store/ipc'
import { createMemoryStore } from '../../../server/store/memory'
import { createRedisStore } from '../../../server/store/redis'
import type { Store } from '../../../server/store/types'
import { skipReason, testEnv } from '../../support/env'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** One suite, two implementations: the memory store and Redis must behave the same. */
function conformance(name: string, make: () => Store, makeSecond?: () => Store) {
  describe(name, () => {
    let store: Store
    beforeAll(() => { store = make() })
    afterAll(async () => { await store.close() })

    it('gets, sets, deletes and expires values', async () => {
      expect(await store.get('missing')).toBeNull()
      await store.set('a', '1')
      expect(await store.get('a')).toBe('1')
      await store.set('b', '2', 150)
      expect(await store.get('b')).toBe('2')
      await sleep(250)
      expect(await store.get('b')).toBeNull()
      await store.del('a')
      expect(await store.get('a')).toBeNull()
    })

    it('sets only when absent', async () => {
      expect(await store.setIfAbsent('once', 'x', 10_000)).toBe(true)
      expect(await store.setIfAbsent('once', 'y', 10_000)).toBe(false)
      expect(await store.get('once')).toBe('x')
    })

    it('counts atomically with an expiry that starts at the first increment', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.incr('ctr', 1, 300)))
      expect(new Set(results).size).toBe(50)
      expect(Math.max(...results)).toBe(50)
      expect(await store.incr('ctr', 5, 300)).toBe(55)
      await sleep(400)
      expect(await store.incr('ctr', 1, 300)).toBe(1)
    })

    it('admits against several counters atomically: exactly the limit gets in, and a refusal changes nothing', async () => {
      const rpm = (add = 1) => ({ key: 'adm-rpm', limit: 10, need: 1, add, ttlMs: 5000 })
      const budget = { key: 'adm-spend', limit: 0.5, need: 0, add: 0, ttlMs: 0 }
      const results = await Promise.all(Array.from({ length: 25 }, () => store.admitCounters([rpm(), budget])))
      expect(results.filter(r => r === -1)).toHaveLength(10)
      expect(results.filter(r => r === 0)).toHaveLength(15)
      expect(await store.readCounters(['adm-rpm', 'adm-spend', 'adm-none'])).toEqual([10, 0, 0])
      // A spent budget refuses (need 0: value >= limit), and the first failing index is reported.
      await store.addCounters([{ key: 'adm-spend', by: 0.25, ttlMs: 0 }, { key: 'adm-spend', by: 0.25, ttlMs: 0 }])
      expect(await store.readCounters(['adm-spend'])).toEqual([0.5])
      expect(await store.admitCounters([{ key: 'adm-other', limit: 5, need: 1, add: 1, ttlMs: 5000 }, budget])).toBe(1)
      expect(await store.readCounters(['adm-other'])).toEqual([0])
      // need larger than add: a token estimate checked but not counted.
      expect(await store.admitCounters([{ key: 'adm-tpm', limit: 100, need: 60, add: 0, ttlMs: 5000 }])).toBe(-1)
      await store.addCounters([{ key: 'adm-tpm', by: 50, ttlMs: 5000 }])
      expect(await store.admitCounters([{ key: 'adm-tpm', limit: 100, need: 60, add: 0, ttlMs: 5000 }])).toBe(0)
      expect(await store.admitCounters([{ key: 'adm-tpm', limit: 100, need: 50, add: 0, ttlMs: 5000 }])).toBe(-1)
    })

    it('expires admission counters from their first addition', async () => {
      expect(await store.admitCounters([{ key: 'adm-exp', limit: 1, need: 1, add: 1, ttlMs: 200 }])).toBe(-1)
      expect(await store.admitCounters([{ key: 'adm-exp', limit: 1, need: 1, add: 1, ttlMs: 200 }])).toBe(0)
      await sleep(300)
      expect(await store.admitCounters([{ key: 'adm-exp', limit: 1, need: 1, add: 1, ttlMs: 200 }])).toBe(-1)
    })

    it('rotates a list atomically: concurrent callers see each item equally often', async () => {
      await store.listReplace('pool', ['k1', 'k2', 'k3'])
      const picks = await Promise.all(Array.from({ length: 30 }, () => store.rotate('pool')))
      const counts = Object.fromEntries(['k1', 'k2', 'k3'].map(k => [k, picks.filter(p => p === k).length]))
      expect(counts).toEqual({ k1: 10, k2: 10, k3: 10 })
      await store.listPush('pool', 'k4')
      await store.listRemove('pool', 'k2')
      expect((await store.listAll('pool')).sort()).toEqual(['k1', 'k3', 'k4'])
      await store.listReplace('pool', [])
      expect(await store.rotate('pool')).toBeNull()
    })

    it('replaces long lists', async () => {
      const items = Array.from({ length: 12_345 }, (_, i) => `key-${i}`)
      await store.listReplace('big', items)
      expect(await store.listAll('big')).toEqual(items)
      await store.del('big')
    })

    it('grants a lease to one owner at a time, renews it, and frees it on release or expiry', async () => {
      expect(await store.acquireLease('job', 'A', 200)).toBe(true)
      expect(await store.acquireLease('job', 'B', 200)).toBe(false)
      expect(await store.acquireLease('job', 'A', 200)).toBe(true)
      expect(await store.renewLease('job', 'B', 200)).toBe(false)
      expect(await store.renewLease('job', 'A', 400)).toBe(true)
      await sleep(250)
      expect(await store.acquireLease('job', 'B', 200)).toBe(false)
      await store.releaseLease('job', 'B')
      expect(await store.acquireLease('job', 'B', 200)).toBe(false)
      await store.releaseLease('job', 'A')
      expect(await store.acquireLease('job', 'B', 150)).toBe(true)
      await sleep(250)
      expect(await store.renewLease('job', 'B', 150)).toBe(false)
      expect(await store.acquireLease('job', 'A', 150)).toBe(true)
    })

    it('publishes to every subscriber, and stops after unsubscribe', async () => {
      const got: string[] = []
      const other: string[] = []
      const off = await store.subscribe('news', m => got.push(m))
      const off2 = await store.subscribe('news', m => other.push(m))
      await store.publish('news', 'one')
      await store.publish('elsewhere', 'nope')
      for (let i = 0; i < 50 && (got.length < 1 || other.length < 1); i++) await sleep(10)
      expect(got).toEqual(['one'])
      expect(other).toEqual(['one'])
      await off()
      await store.publish('news', 'two')
      for (let i = 0; i < 50 && other.length < 2; i++) await sleep(10)
      expect(other).toEqual(['one', 'two'])
      expect(got).toEqual(['one'])
      await off2()
    })

    if (makeSecond) {
      it('shares state and messages between two instances', async () => {
        const second = makeSecond()
        try {
          const got: string[] = []
          await second.subscribe('cluster', m => got.push(m))
          await store.publish('cluster', 'hello')
          for (let i = 0; i < 100 && !got.length; i++) await sleep(10)
          expect(got).toEqual(['hello'])
          await store.set('shared', 'v')
          expect(await second.get('shared')).toBe('v')
          expect(await store.acquireLease('shared-job', 'one', 1000)).toBe(true)
          expect(await second.acquireLease('shared-job', 'two', 1000)).toBe(false)
        } finally { await second.close() }
      })
    }
  })
}

conformance('memory store', createMemoryStore)

// The worker side in this process, the primary's store in a real child process over Node's IPC channel.
describe('IPC store (workers of one instance)', () => {
  let host: ChildProcess
  beforeAll(() => { host = fork(resolve('tests/support/storeHostChild.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }) })
  afterAll(() => { host.disconnect() })
  conformance('IPC', () => createIpcStore(host as unknown as IpcPort), () => createIpcStore(host as unknown as IpcPort))

  it('fails a call at once, without waiting, when the channel to the primary is closed', async () => {
    const gone = fork(resolve('tests/support/storeHostChild.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    const store = createIpcStore(gone as unknown as IpcPort)
    expect(await store.incr('n', 1, 1000)).toBe(1)
    gone.disconnect()
    await expect(store.get('n')).rejects.toThrow(/closed/)
    await store.close()
  })
})

const prefix = `kg-test-${randomUUID().slice(0, 8)}:`
describe.skipIf(!testEnv.redisUrl)(`Redis store${testEnv.redisUrl ? '' : ` (skipped: ${skipReason.redis})`}`, () => {
  conformance('Redis', () => createRedisStore(testEnv.redisUrl, prefix), () => createRedisStore(testEnv.redisUrl, prefix))
})
