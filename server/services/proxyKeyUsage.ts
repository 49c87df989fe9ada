import type { Db } from '../../db/client'
import type { ProxyKeyUsage } from '../../shared/schemas/usage'
import type { ProxyKeyView } from '../../shared/schemas/proxyKeys'
import type { ProxyKeyCounters } from '../proxy/ports'
import { periodWindow } from '../proxy/limits/periods'
import { loadProxyKeySpend } from './keys/poolLoader'

export type ProxyKeyUsageDeps = {
  db: Db
  getProxyKey: (id: number) => Promise<ProxyKeyView>
  /** The engine's counters for the key (null until the engine has loaded it). */
  counters: (id: number) => Promise<ProxyKeyCounters | null>
  timeZone: () => string
}

/** `GET /api/proxy-keys/{id}/usage`: this period's use, the enforced counters and the limits they are held to. */
export async function proxyKeyUsage(deps: ProxyKeyUsageDeps, id: number, now = Date.now()): Promise<ProxyKeyUsage> {
  const key = await deps.getProxyKey(id)
  const c = await deps.counters(id)
  const tz = c?.timeZone ?? deps.timeZone()
  const win = c ? { start: c.periodStart, end: c.periodEnd } : periodWindow(key.budgetPeriod, tz, now)
  const since = key.budgetPeriod === 'none' ? 0 : win.start
  const used = await loadProxyKeySpend(deps.db, id, since)
  const enforced = { tokens: c?.tokens ?? used.tokens, cost: c?.cost ?? used.cost }
  return {
    proxyKeyId: id, period: key.budgetPeriod, timeZone: tz,
    periodStart: key.budgetPeriod === 'none' ? key.createdAt : win.start, periodEnd: win.end,
    used, enforced,
    now: { rpm: c?.rpm ?? 0, tpm: c?.tpm ?? 0, inFlight: c?.inFlight ?? 0 },
    limits: {
      rpm: key.rpm, tpm: key.tpm, maxConcurrency: key.maxConcurrency, budgetTokens: key.budgetTokens, budgetCost: key.budgetCost,
      expiresAt: key.expiresAt, ipAllowlist: key.ipAllowlist,
    },
    remaining: {
      tokens: key.budgetTokens > 0 ? Math.max(0, key.budgetTokens - enforced.tokens) : null,
      cost: key.budgetCost > 0 ? Math.max(0, key.budgetCost - enforced.cost) : null,
    },
  }
}
