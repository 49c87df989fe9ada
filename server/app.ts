import { randomUUID } from 'node:crypto'
import type { Config } from './config/schema'
import type { Db } from '../db/client'
import type { Logger } from './logger'
import type { KeyCipher } from './services/keyCipher'
import type { Store } from './store/types'

/** Everything the services share, built once by server/boot.ts. */
export type AppContext = {
  config: Config
  authKey: string
  db: Db
  store: Store
  cipher: KeyCipher
  log: Logger
  instanceId: string
}

let current: AppContext | undefined
let markReady!: () => void
let markFailed!: (err: unknown) => void

export const lifecycle = {
  ready: false,
  draining: false,
  readyPromise: new Promise<void>((resolve, reject) => { markReady = resolve; markFailed = reject }),
}
lifecycle.readyPromise.catch(() => {})

export const instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`

export function setApp(ctx: AppContext) { current = ctx }

/** The shared context; only callable once boot has finished (requests are gated on it). */
export function useApp(): AppContext {
  if (!current) throw new Error('Keygate is not ready yet')
  return current
}

export function appReady() {
  lifecycle.ready = true
  markReady()
}

export function appFailed(err: unknown) { markFailed(err) }

type Closer = { name: string; close: () => Promise<void> | void }
const closers: Closer[] = []

/** Registers teardown work; run in reverse order of registration on shutdown. */
export function onShutdown(name: string, close: Closer['close']) { closers.push({ name, close }) }

export async function runShutdown(log?: Logger) {
  for (const c of closers.splice(0).reverse()) {
    try { await c.close() } catch (err) { log?.error({ err }, `shutdown step "${c.name}" failed`) }
  }
}
