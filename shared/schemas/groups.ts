import { z } from 'zod'
import { CHANNEL_TYPES } from '../channels'
import { endpointPatternProblem } from '../endpoints'
import { GroupConfigSchema } from '../settings'
import { modelName, pageFields } from './common'

export const GROUP_NAME_PATTERN = /^[a-z0-9_-]{1,100}$/

const weight = z.number().int('must be a whole number').min(0, 'must be at least 0').max(1000, 'must be at most 1000')

export const UpstreamSchema = z.strictObject({
  url: z.string().max(500).refine((v) => {
    try {
      const u = new URL(v)
      return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname
    } catch { return false }
  }, 'must be an http:// or https:// URL'),
  weight: weight.default(1),
})

// RFC 7230 token: what a header name may contain.
const headerName = z.string().min(1, 'must not be empty').max(200).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid header name')

export const HeaderRuleSchema = z.strictObject({
  name: headerName,
  value: z.string().max(4000).default(''),
  action: z.enum(['set', 'remove']).default('set'),
})

export const SubGroupRefSchema = z.strictObject({
  groupId: z.number().int().positive(),
  weight: weight.default(1),
})

/** `"METHOD /path-pattern"`: an endpoint a group opens beyond its channel's inference API. */
const endpointPattern = z.string().max(500).superRefine((v, ctx) => {
  const problem = endpointPatternProblem(v)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** Every writable field of a group; `name` and `channel` are required on create. */
const groupFields = {
  name: z.string().regex(GROUP_NAME_PATTERN, 'must be 1-100 characters of a-z, 0-9, _ and -'),
  displayName: z.string().max(255).default(''),
  description: z.string().max(2000).default(''),
  type: z.enum(['standard', 'aggregate']).default('standard'),
  channel: z.enum(CHANNEL_TYPES),
  upstreams: z.array(UpstreamSchema).max(100).default([]),
  testModel: z.string().max(255).default(''),
  validationPath: z.string().max(500).refine(v => v === '' || (v.startsWith('/') && !/\s/.test(v)), 'must be empty or a path starting with /').default(''),
  models: z.array(modelName).max(1000).default([]),
  priority: z.number().int('must be a whole number').min(-1_000_000).max(1_000_000).default(0),
  modelRedirects: z.record(modelName, modelName).default({}),
  modelRedirectStrict: z.boolean().default(false),
  paramOverrides: z.record(z.string().min(1), z.unknown()).default({}),
  headerRules: z.array(HeaderRuleSchema).max(100).default([]),
  allowedPaths: z.array(endpointPattern).max(100).default([]),
  acceptsConversions: z.boolean().default(false),
  priceMultiplier: z.number().min(0, 'must be at least 0').max(1000, 'must be at most 1000').default(1),
  config: GroupConfigSchema.default({}),
  subGroups: z.array(SubGroupRefSchema).max(100).default([]),
  enabled: z.boolean().default(true),
  sort: z.number().int().min(0).max(1_000_000).default(0),
}

type Ctx = z.core.$RefinementCtx<z.infer<z.ZodObject<typeof groupFields>>>
function checkGroup(g: z.infer<z.ZodObject<typeof groupFields>>, ctx: Ctx) {
  if (g.type === 'standard') {
    if (!g.upstreams.some(u => u.weight > 0))
      ctx.addIssue({ code: 'custom', path: ['upstreams'], message: 'needs at least one upstream with weight > 0' })
    if (g.subGroups.length)
      ctx.addIssue({ code: 'custom', path: ['subGroups'], message: 'only aggregate groups have sub-groups' })
  } else {
    if (!g.subGroups.length)
      ctx.addIssue({ code: 'custom', path: ['subGroups'], message: 'an aggregate group needs at least one sub-group' })
    else if (!g.subGroups.some(s => s.weight > 0))
      ctx.addIssue({ code: 'custom', path: ['subGroups'], message: 'needs at least one sub-group with weight > 0' })
    const ids = g.subGroups.map(s => s.groupId)
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: 'custom', path: ['subGroups'], message: 'lists a sub-group twice' })
  }
  const seen = new Set<string>()
  g.headerRules.forEach((r, i) => {
    const n = r.name.toLowerCase()
    if (seen.has(n)) ctx.addIssue({ code: 'custom', path: ['headerRules', i, 'name'], message: `duplicates the rule for ${r.name}` })
    seen.add(n)
  })
}

export const GroupCreateSchema = z.strictObject(groupFields).superRefine(checkGroup)
/** An aggregate's member: which group, and its share of the traffic. */
export type SubGroupRef = z.infer<typeof SubGroupRefSchema>
export type GroupCreateInput = z.input<typeof GroupCreateSchema>
export type GroupInput = z.infer<typeof GroupCreateSchema>

/** PATCH: any subset; the merged result is checked again with GroupCreateSchema. */
export const GroupPatchSchema = z.strictObject(
  Object.fromEntries(Object.entries(groupFields).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()])) as {
    [K in keyof typeof groupFields]: z.ZodOptional<typeof groupFields[K] extends z.ZodDefault<infer I> ? I : typeof groupFields[K]>
  },
)
export type GroupPatchInput = z.infer<typeof GroupPatchSchema>

export const GroupCopySchema = z.strictObject({
  keys: z.enum(['none', 'active', 'all']).default('none'),
  name: groupFields.name.optional(),
})
export type GroupCopyInput = z.infer<typeof GroupCopySchema>

export const GroupOrderSchema = z.strictObject({
  ids: z.array(z.number().int().positive()).min(1, 'must list at least one group').max(10_000)
    .refine(ids => new Set(ids).size === ids.length, 'lists a group twice'),
})

export const GroupListQuerySchema = z.object({ ...pageFields(500) })
export const GroupDeleteQuerySchema = z.object({ force: z.enum(['true', 'false', '1', '0']).optional().transform(v => v === 'true' || v === '1') })

/** A group as the API returns it. */
export type GroupView = Omit<GroupInput, never> & {
  id: number
  endpoint: string
  createdAt: number
  updatedAt: number
}
