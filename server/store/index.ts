import { createMemoryStore } from './memory'
import { createRedisStore } from './redis'
import type { Store } from './types'

export type { Store } from './types'
export { createMemoryStore, createRedisStore }

export function createStore(redisUrl: string, prefix = 'keygate:'): Store {
  return redisUrl ? createRedisStore(redisUrl, prefix) : createMemoryStore()
}
