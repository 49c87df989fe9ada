import { z } from 'zod'
import type { ProxyKeyRow } from '../types/rows'
import { isCidr } from '../cidr'
import { modelName, pageFields } from './common'

/** `none`: the budget counts over the key's whole life; else it resets each period. budgetTokens 0 = no budget. */
export const BUDGET_PERIODS = ['none', 'day', 'week', 'month'] as const

const count = (max: number) => z.number().int('must be a whole number').min(0, 'must be at least 0').max(max, `must be at most ${max}`)

const proxyKeyFields = {
  name: z.string().trim().min(1, 'is required').max(255),
  groupIds: z.array(z.number().int().positive()).max(1000).default([]),
  models: z.array(modelName).max(1000).default([]),
  rpm: count(10_000_000).default(0),
  tpm: count(1_000_000_000).default(0),
  maxConcurrency: count(100_000).default(0),
  budgetTokens: count(Number.MAX_SAFE_INTEGER).default(0),
  budgetPeriod: z.enum(BUDGET_PERIODS).default('none'),
  /** USD per period; 0 = no money budget. */
  budgetCost: z.number().min(0, 'must be at least 0').max(1_000_000_000, 'must be at most 1000000000').default(0),
  /** Addresses or CIDRs (IPv4, IPv6) the key may be used from; empty = anywhere. */
  ipAllowlist: z.array(z.string().trim().min(1, 'must not be empty').max(64).refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR (10.0.0.0/8, 2001:db8::/32)'))
    .max(1000).default([]),
  expiresAt: z.number().int().positive().nullable().default(null),
  enabled: z.boolean().default(true),
}

export const PROXY_KEY_PREFIX = 'kg-'

/** `key` lets a migration keep a consumer's existing secret; normally the server generates it. */
export const ProxyKeyCreateSchema = z.strictObject({
  ...proxyKeyFields,
  key: z.string().min(8, 'must be at least 8 characters').max(200).regex(/^\S+$/, 'must not contain spaces').optional(),
})
export type ProxyKeyCreateInput = z.infer<typeof ProxyKeyCreateSchema>

export const ProxyKeyPatchSchema = z.strictObject(
  Object.fromEntries(Object.entries(proxyKeyFields).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()])) as {
    [K in keyof typeof proxyKeyFields]: z.ZodOptional<typeof proxyKeyFields[K] extends z.ZodDefault<infer I> ? I : typeof proxyKeyFields[K]>
  },
)
export type ProxyKeyPatchInput = z.infer<typeof ProxyKeyPatchSchema>

export const ProxyKeyListQuerySchema = z.object({ ...pageFields(), q: z.string().max(255).optional() })

/** A proxy key as the API returns it: the row without its hash; `key` only in the answer to create. */
export type ProxyKeyView = Omit<ProxyKeyRow, 'keyHash' | 'budgetPeriod'> & {
  budgetPeriod: (typeof BUDGET_PERIODS)[number]
  key?: string
}
