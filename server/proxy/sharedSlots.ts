import { ProxyError } from './errors'
import type { SharedSlots } from './ports'
import type { ProxyKeyRuntime } from './proxyKeys'

/**
 * The limits on requests in flight when the instance runs several worker processes: the same
 * refusals as the per-process counts (handler.ts, proxyKeys.ts), counted across the workers.
 * In a single process none of this runs.
 */

const GATEWAY = 'gateway'

export const gatewayBusy = () => new ProxyError(429, 'the gateway is at its concurrent request limit; retry shortly', 'rate_limit_exceeded', 1)

/** A gateway slot under MAX_CONCURRENT_REQUESTS: true when taken. */
export function takeGatewaySlot(slots: SharedSlots, limit: number): boolean | Promise<boolean> {
  return slots.take(GATEWAY, limit)
}

/** The proxy key's concurrency slot (its maxConcurrency, else its share of the gateway); 429 when none is free. Returns the slot's name. */
export function takeKeySlot(slots: SharedSlots, pk: ProxyKeyRuntime, defaultShare: number): string | Promise<string> {
  const { maxConcurrency, id } = pk.row
  const limit = maxConcurrency > 0 ? maxConcurrency : defaultShare
  const name = `pk:${id}`
  const refuse = () => maxConcurrency > 0
    ? new ProxyError(429, `this proxy key allows ${maxConcurrency} concurrent requests`, 'rate_limit_exceeded', 1)
    : new ProxyError(429, `this proxy key may hold at most ${defaultShare} of the gateway's concurrent requests`, 'rate_limit_exceeded', 1)
  const taken = slots.take(name, limit)
  if (taken === true) return name
  if (taken === false) throw refuse()
  return taken.then((ok) => { if (!ok) throw refuse(); return name })
}

/** Gives back what the request took: its key slot (when it got one) and its gateway slot. */
export function giveSlots(slots: SharedSlots, keySlot: string | undefined) {
  if (keySlot) slots.give(keySlot)
  slots.give(GATEWAY)
}
