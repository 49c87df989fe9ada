import { isKgMessage, trySend, type IpcPort } from '../cluster/port'
import { STORE_CALL, STORE_MESSAGE, type StoreCall, type StoreMessage, type StoreOp, type StoreReply } from './ipc'
import type { Store } from './types'

const OPS = new Set<StoreOp>([
  'get', 'set', 'setIfAbsent', 'del', 'incr', 'admitCounters', 'addCounters', 'readCounters', 'listReplace', 'listPush', 'listRemove', 'listAll', 'rotate',
  'acquireLease', 'renewLease', 'releaseLease', 'publish',
])

export interface StoreHost {
  /** Starts answering the store calls arriving on `port` and delivering messages to it. */
  attach(port: IpcPort): void
  /** Stops both (the worker exited). */
  detach(port: IpcPort): void
}

/**
 * The primary's side of the IPC store (./ipc.ts): answers every worker's calls from one store
 * and fans published messages out to every attached worker. Calls from one worker are answered
 * in the order they arrive, since the store runs each one to completion in one turn.
 */
export function createStoreHost(store: Store): StoreHost {
  const ports = new Map<IpcPort, (m: unknown) => void>()

  function publish(channel: string, message: string) {
    const out: StoreMessage = { kg: STORE_MESSAGE, channel, message }
    for (const p of ports.keys()) trySend(p, out)
  }

  async function answer(port: IpcPort, m: StoreCall) {
    const reply: StoreReply = { kg: 'store:reply', id: m.id }
    try {
      if (!OPS.has(m.op) || !Array.isArray(m.args)) throw new Error(`unknown store call ${String(m.op)}`)
      if (m.op === 'publish') publish(String(m.args[0]), String(m.args[1]))
      else reply.value = await (store[m.op] as (...a: unknown[]) => Promise<unknown>)(...m.args)
    } catch (err) {
      reply.error = (err as Error).message
    }
    trySend(port, reply)
  }

  return {
    attach(port) {
      if (ports.has(port)) return
      const listener = (m: unknown) => {
        if (isKgMessage(m) && m.kg === STORE_CALL) void answer(port, m as StoreCall)
      }
      ports.set(port, listener)
      port.on('message', listener)
    },
    detach(port) {
      const listener = ports.get(port)
      if (!listener) return
      ports.delete(port)
      port.off('message', listener)
    },
  }
}
