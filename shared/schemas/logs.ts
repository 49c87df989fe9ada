import { z } from 'zod'
import { pageFields, queryBool } from './common'

/** `from`/`to`: epoch milliseconds or an ISO date. */
const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform(s => Date.parse(s)),
  z.iso.date().transform(s => Date.parse(s)),
])
  .or(z.string().transform((_, ctx) => { ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO date' }); return z.NEVER }))
const id = z.coerce.number().int().positive()

const logFilterFields = {
  groupId: id.optional(),
  model: z.string().max(255).optional(),
  keyId: id.optional(),
  proxyKeyId: id.optional(),
  status: z.coerce.number().int().min(0).max(999).optional(),
  success: queryBool.optional(),
  type: z.enum(['retry', 'final']).optional(),
  ip: z.string().max(64).optional(),
  /** Every attempt of one client request. */
  requestId: z.string().max(32).optional(),
  q: z.string().max(500).optional(),
  from: time.optional(),
  to: time.optional(),
}

export const LogFilterSchema = z.object(logFilterFields)
export type LogFilter = z.infer<typeof LogFilterSchema>
export const LogListQuerySchema = z.object({ ...pageFields(), ...logFilterFields })
export type LogListQuery = z.infer<typeof LogListQuerySchema>

export const STATS_RANGES = ['24h', '7d', '30d'] as const
export const TimeseriesQuerySchema = z.object({
  groupId: id.optional(),
  range: z.enum(STATS_RANGES).default('24h'),
})
export type TimeseriesQuery = z.infer<typeof TimeseriesQuerySchema>

/** `cost`: USD (request-log costs summed in the hourly stats). */
export type UsageTotals = {
  requests: number
  failures: number
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  cost: number
}
