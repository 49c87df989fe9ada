import { z } from 'zod'

/** `?page=&pageSize=` on every list (CONTRACT §3: pageSize at most 500). */
export const pageFields = (defaultPageSize = 50) => ({
  page: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
  pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(500, 'must be at most 500').default(defaultPageSize),
})
export const PageQuerySchema = z.object(pageFields())
export type PageQuery = z.infer<typeof PageQuerySchema>

export type Page<T> = { items: T[]; total: number }

/** A numeric route parameter such as `/api/groups/{id}`. */
export const IdSchema = z.coerce.number().int().positive()

/** Query-string booleans: `true|false|1|0`. */
export const queryBool = z.enum(['true', 'false', '1', '0']).transform(v => v === 'true' || v === '1')

/** A model name or a `*` pattern: no whitespace. */
export const modelName = z.string().min(1, 'must not be empty').max(255).regex(/^\S+$/, 'must not contain spaces')
