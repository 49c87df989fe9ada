import Redis from 'ioredis'
import type { Store } from './types'

const INCR_WITH_TTL = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`
/** KEYS: counters; ARGV: limit, need, add, ttl for each. See Store.admitCounters. */
const ADMIT_COUNTERS = `
for i = 1, #KEYS do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  local limit, need = tonumber(ARGV[i * 4 - 3]), tonumber(ARGV[i * 4 - 2])
  if (need > 0 and v + need > limit) or (need <= 0 and v >= limit) then return i - 1 end
end
for i = 1, #KEYS do
  if tonumber(ARGV[i * 4 - 1]) ~= 0 then
    redis.call('INCRBYFLOAT', KEYS[i], ARGV[i * 4 - 1])
    local ttl = tonumber(ARGV[i * 4])
    if ttl > 0 and redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return -1`
/** KEYS: counters; ARGV: by, ttl for each. */
const ADD_COUNTERS = `
for i = 1, #KEYS do
  redis.call('INCRBYFLOAT', KEYS[i], ARGV[i * 2 - 1])
  local ttl = tonumber(ARGV[i * 2])
  if ttl > 0 and redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1`
const RENEW_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`
const REPLACE_LIST = `
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 5000 do redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 4999, #ARGV))) end
return #ARGV`

/** Redis store; every key is prefixed so several deployments can share one Redis database. */
export function createRedisStore(url: string, prefix = 'keygate:'): Store {
  const opts = { lazyConnect: false, maxRetriesPerRequest: 3, enableAutoPipelining: true }
  const client = new Redis(url, opts)
  let subscriber: Redis | undefined
  const handlers = new Map<string, Set<(m: string) => void>>()
  const k = (key: string) => prefix + key

  const sub = () => {
    if (subscriber) return subscriber
    subscriber = client.duplicate({ enableAutoPipelining: false })
    subscriber.on('message', (channel: string, message: string) => {
      for (const h of handlers.get(channel.slice(prefix.length)) ?? []) h(message)
    })
    return subscriber
  }

  return {
    kind: 'redis',
    async get(key) { return client.get(k(key)) },
    async set(key, value, ttlMs) {
      if (ttlMs && ttlMs > 0) await client.set(k(key), value, 'PX', ttlMs)
      else await client.set(k(key), value)
    },
    async setIfAbsent(key, value, ttlMs) { return (await client.set(k(key), value, 'PX', ttlMs, 'NX')) === 'OK' },
    async del(key) { await client.del(k(key)) },
    async incr(key, by, ttlMs) { return Number(await client.eval(INCR_WITH_TTL, 1, k(key), by, ttlMs)) },
    async admitCounters(checks) {
      if (!checks.length) return -1
      const args: (string | number)[] = []
      for (const c of checks) args.push(c.limit, c.need, c.add, Math.max(0, Math.round(c.ttlMs)))
      return Number(await client.eval(ADMIT_COUNTERS, checks.length, ...checks.map(c => k(c.key)), ...args))
    },
    async addCounters(adds) {
      if (!adds.length) return
      const args: (string | number)[] = []
      for (const a of adds) args.push(a.by, Math.max(0, Math.round(a.ttlMs)))
      await client.eval(ADD_COUNTERS, adds.length, ...adds.map(a => k(a.key)), ...args)
    },
    async readCounters(keys) {
      if (!keys.length) return []
      return (await client.mget(...keys.map(k))).map(v => Number(v ?? 0) || 0)
    },
    async listReplace(key, items) {
      if (!items.length) { await client.del(k(key)); return }
      await client.eval(REPLACE_LIST, 1, k(key), ...items)
    },
    async listPush(key, ...items) { if (items.length) await client.rpush(k(key), ...items) },
    async listRemove(key, item) { await client.lrem(k(key), 0, item) },
    async listAll(key) { return client.lrange(k(key), 0, -1) },
    async rotate(key) { return client.lmove(k(key), k(key), 'LEFT', 'RIGHT') },
    async acquireLease(name, owner, ttlMs) { return Number(await client.eval(ACQUIRE, 1, k(`lease:${name}`), owner, ttlMs)) === 1 },
    async renewLease(name, owner, ttlMs) { return Number(await client.eval(RENEW_IF_OWNER, 1, k(`lease:${name}`), owner, ttlMs)) === 1 },
    async releaseLease(name, owner) { await client.eval(RELEASE_IF_OWNER, 1, k(`lease:${name}`), owner) },
    async publish(channel, message) { await client.publish(k(channel), message) },
    async subscribe(channel, handler) {
      let set = handlers.get(channel)
      if (!set) {
        set = new Set()
        handlers.set(channel, set)
        await sub().subscribe(k(channel))
      }
      set.add(handler)
      return async () => {
        set!.delete(handler)
        if (!set!.size) {
          handlers.delete(channel)
          await subscriber?.unsubscribe(k(channel))
        }
      }
    },
    async close() {
      await Promise.allSettled([client.quit(), subscriber?.quit()])
    },
  }
}

/** Fails fast with a clear message when Redis cannot be reached at startup. */
export async function pingRedis(store: Store): Promise<void> {
  await store.set('ping', String(Date.now()), 10_000)
}
