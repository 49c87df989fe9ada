import type { Logger } from '../logger'
import type { Store } from '../store/types'
import type { KeyStateSink } from './keypool/transitions'
import type { ProxyKeyTable } from './proxyKeys'
import type { GroupRegistry } from './registry'

/** The engine's long-lived state, built once at boot by start.ts and read by every request. */
export type Engine = {
  registry: GroupRegistry
  proxyKeys: ProxyKeyTable
  sink: KeyStateSink
  store: Store
  log: Logger
  /** HMAC of a proxy key secret: how proxy keys are looked up. */
  hash: (secret: string) => string
  maxConcurrent: number
  bodyLimit: number
  trustProxy: boolean
  cors: { enabled: boolean; origins: string[] }
  /** Proxy requests in flight on this instance. */
  inFlight: number
}

let current: Engine | undefined

export function setEngine(e: Engine | undefined) { current = e }
export function useEngine(): Engine {
  if (!current) throw new Error('the proxy engine has not started')
  return current
}
