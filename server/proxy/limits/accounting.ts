import type { RequestContext } from '../context'
import type { PreparedRequest } from '../prepare'
import type { GroupRuntime } from '../registry'
import type { Usage } from '../usage'
import { costOf } from './prices'

/**
 * The USD an answer cost, priced by the model the upstream billed (after redirects) and the
 * serving group's multiplier; the proxy key's tpm window and budgets are charged with it.
 */
export function usageCost(ctx: RequestContext, target: GroupRuntime, prepared: PreparedRequest, usage: Usage, now: number): number {
  const { engine, pk } = ctx
  const cost = costOf(usage, engine.prices.current.lookup(prepared.upstreamModel || prepared.model), target.row.priceMultiplier)
  if (pk.counted) engine.limits.record(pk.row, usage.promptTokens + usage.completionTokens, cost, now)
  return cost
}
