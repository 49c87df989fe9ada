import { z } from 'zod'
import { CHANNEL_TYPES } from '../channels'

/**
 * `GET /api/route?api=&model=&proxyKey=`: which groups would serve a request on a unified route,
 * how many keys each has usable right now, and why the others would not. The console's route view
 * renders this shape; keep it stable (add fields, never rename).
 */
export const ROUTE_APIS = ['openai', 'responses', 'anthropic', 'gemini'] as const
export type RouteApi = (typeof ROUTE_APIS)[number]

export const RouteQuerySchema = z.object({
  /** openai: POST /v1/chat/completions; responses: POST /v1/responses; anthropic: POST /v1/messages; gemini: generateContent. */
  api: z.enum(ROUTE_APIS).default('openai'),
  model: z.string().max(256, 'must be at most 256 characters').default(''),
  /** The proxy key's id (never its secret: a secret in a URL ends up in logs and browser history). */
  proxyKey: z.string().regex(/^\d{1,15}$/, 'must be a proxy key id (a number)').transform(Number).optional(),
})
export type RouteQuery = z.infer<typeof RouteQuerySchema>

/** Why a group would not take the request (null: it would). */
export const ROUTE_GROUP_REASONS = ['disabled', 'endpoint_not_allowed', 'model_not_served', 'model_required', 'group_not_allowed', 'no_usable_key'] as const
/** Why no group would take it; the same codes the proxy answers with. */
export const ROUTE_REASONS = ['model_not_found', 'model_required', 'model_not_allowed', 'group_not_allowed', 'endpoint_not_allowed', 'no_usable_key'] as const

export const RouteCandidateSchema = z.object({
  groupId: z.number(),
  groupName: z.string(),
  channel: z.enum(CHANNEL_TYPES),
  priority: z.number(),
  /** Keys in rotation now (an aggregate: over its members). */
  usableKeys: z.number(),
  totalKeys: z.number(),
  reason: z.enum(ROUTE_GROUP_REASONS).nullable(),
})
export type RouteCandidate = z.infer<typeof RouteCandidateSchema>

export const RouteExplanationSchema = z.object({
  api: z.enum(ROUTE_APIS),
  model: z.string(),
  proxyKey: z.object({ id: z.number(), name: z.string() }).nullable(),
  /** Every group speaking this API, in the order the proxy tries them. */
  candidates: z.array(RouteCandidateSchema),
  /** The group the request would go to first (others follow when it runs out of keys). */
  chosen: z.number().nullable(),
  reason: z.enum(ROUTE_REASONS).nullable(),
})
export type RouteExplanation = z.infer<typeof RouteExplanationSchema>
