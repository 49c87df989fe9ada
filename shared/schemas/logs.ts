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
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'other'] as const
export type StatusClass = (typeof STATUS_CLASSES)[number]

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
  /** `2xx`…`5xx`, or `other` (no answer from upstream: status 0, or outside 200-599). */
  statusClass: z.enum(STATUS_CLASSES).optional(),
  stream: queryBool.optional(),
  q: z.string().max(500).optional(),
  from: time.optional(),
  to: time.optional(),
}

export const LogFilterSchema = z.object(logFilterFields)
export type LogFilter = z.infer<typeof LogFilterSchema>
/**
 * `cursor` is the `nextCursor` of the page before (`<time>:<id>` of its last row): the page after
 * it, found through the time index however deep (`page` pages by offset, which gets slower the
 * deeper it goes). `total` counts matching rows up to `LOG_TOTAL_CAP`; `totalExact` says whether it is all of them.
 */
export const LogListQuerySchema = z.object({
  ...pageFields(),
  ...logFilterFields,
  cursor: z.string().regex(/^\d{1,15}:[0-9A-Za-z_-]{1,64}$/, 'must be the nextCursor of a previous page').optional(),
})
export type LogListQuery = z.infer<typeof LogListQuerySchema>
export const LOG_TOTAL_CAP = 10_000

export const STATS_RANGES = ['1h', '24h', '7d', '30d'] as const
export type StatsRange = (typeof STATS_RANGES)[number]
export const TimeseriesQuerySchema = z.object({
  groupId: id.optional(),
  range: z.enum(STATS_RANGES).default('24h'),
})
export type TimeseriesQuery = z.infer<typeof TimeseriesQuerySchema>
export const OverviewQuerySchema = z.object({ range: z.enum(STATS_RANGES).default('24h') })
export type OverviewQuery = z.infer<typeof OverviewQuerySchema>
export const KeyEventsQuerySchema = z.object({
  since: time.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export type KeyEventsQuery = z.infer<typeof KeyEventsQuerySchema>

export type UsageTotals = { requests: number; failures: number; promptTokens: number; completionTokens: number; cachedTokens: number }
