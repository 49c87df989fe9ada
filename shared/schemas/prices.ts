import { z } from 'zod'
import type { ModelPriceRow } from '../types/rows'
import { modelName } from './common'

/** USD per 1,000,000 tokens. */
const perMillion = z.number().min(0, 'must be at least 0').max(1_000_000, 'must be at most 1000000')

/** One row of the price table: a model name or `*` pattern and its four prices (USD per 1M tokens). */
export const ModelPriceSchema = z.strictObject({
  model: modelName,
  input: perMillion,
  cachedInput: perMillion,
  cacheWrite: perMillion,
  output: perMillion,
})
export type ModelPriceInput = z.infer<typeof ModelPriceSchema>

/** `PUT /api/prices`: the whole table (rows not listed are removed); each model once. */
export const PricesPutSchema = z.strictObject({
  prices: z.array(ModelPriceSchema).max(5000, 'must have at most 5000 rows').superRefine((rows, ctx) => {
    const seen = new Set<string>()
    rows.forEach((r, i) => {
      const k = r.model.toLowerCase()
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i, 'model'], message: `${r.model} is listed twice` })
      seen.add(k)
    })
  }),
})
export type PricesPutInput = z.infer<typeof PricesPutSchema>

/**
 * `GET /api/prices` (and the answer to PUT): the table by model, and the models requested over
 * the last 30 days that no row prices (their requests are counted at $0).
 */
export type PricesView = {
  currency: 'USD'
  items: ModelPriceRow[]
  unpriced: string[]
}
