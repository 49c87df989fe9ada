import { z } from 'zod'
import type { BUDGET_PERIODS } from './proxyKeys'

/** `from`/`to`: epoch milliseconds or an ISO date (as on the log filters). */
const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform(s => Date.parse(s)),
  z.iso.date().transform(s => Date.parse(s)),
])
  .or(z.string().transform((_, ctx) => { ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO date' }); return z.NEVER }))

export const USAGE_GROUP_BY = ['proxyKey', 'group', 'model', 'day'] as const

/**
 * `GET /api/usage?groupBy=&from=&to=&format=`: totals per proxy key, group, model or calendar day
 * (days in budget_time_zone). `from` defaults to 30 days ago, `to` to now; `format=csv` answers CSV.
 */
export const UsageQuerySchema = z.object({
  groupBy: z.enum(USAGE_GROUP_BY).default('model'),
  from: time.optional(),
  to: time.optional(),
  format: z.enum(['json', 'csv']).default('json'),
})
export type UsageQuery = z.infer<typeof UsageQuerySchema>

/**
 * One row of the usage report. `key`: the proxy key id, group id, model name or day
 * (`YYYY-MM-DD`) as a string; `name`: its label (proxy key or group name; the key itself for
 * models and days). `unpriced`: the model has no price (model rows only; its cost is 0).
 */
export type UsageRow = {
  key: string
  name: string
  requests: number
  failures: number
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  cost: number
  unpriced?: boolean
}

export type UsageReport = {
  groupBy: (typeof USAGE_GROUP_BY)[number]
  from: number
  to: number
  timeZone: string
  currency: 'USD'
  items: UsageRow[]
  total: Omit<UsageRow, 'key' | 'name' | 'unpriced'>
}

/**
 * `GET /api/proxy-keys/{id}/usage`: this period's use against the key's limits. `period`:
 * the key's budgetPeriod; `periodStart`/`periodEnd` in epoch ms (calendar periods in `timeZone`;
 * `none`: from the key's creation, no end). `used` is from the request log (flushed each
 * request_log_write_interval_seconds); `enforced` is what the budget counters hold, the figures
 * admission compares with the budgets. `now`: this minute's requests and tokens (rpm/tpm
 * windows) and this instance's requests in flight. A limit of 0 means none.
 */
export type ProxyKeyUsage = {
  proxyKeyId: number
  period: (typeof BUDGET_PERIODS)[number]
  timeZone: string
  periodStart: number
  periodEnd: number | null
  used: { requests: number; tokens: number; cost: number }
  enforced: { tokens: number; cost: number }
  now: { rpm: number; tpm: number; inFlight: number }
  limits: {
    rpm: number
    tpm: number
    maxConcurrency: number
    budgetTokens: number
    budgetCost: number
    expiresAt: number | null
    ipAllowlist: string[]
  }
  remaining: { tokens: number | null; cost: number | null }
}
