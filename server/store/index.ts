import type { IpcPort } from '../cluster/port'
import { createIpcStore } from './ipc'
import { createMemoryStore } from './memory'
import { createRedisStore } from './redis'
import type { Store } from './types'

export type { Store } from './types'
export { createIpcStore, createMemoryStore, createRedisStore }

/** Redis when configured; else the primary's store over IPC in a worker process; else in-process. */
export function createStore(redisUrl: string, prefix = 'keygate:', primary?: IpcPort): Store {
  if (redisUrl) return createRedisStore(redisUrl, prefix)
  return primary ? createIpcStore(primary) : createMemoryStore()
}
