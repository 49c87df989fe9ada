import type { ModelPriceRow } from '../../../shared/types/rows'
import { globMatcher, type ModelMatcher } from '../models'
import type { Usage } from '../usage'

export type ModelPrice = Pick<ModelPriceRow, 'input' | 'cachedInput' | 'cacheWrite' | 'output'>

const LOOKUP_CACHE_LIMIT = 10_000

/**
 * The price table as the engine reads it: exact names first, then `*` patterns, the longest
 * (most specific) pattern winning, so `gpt-4o-mini*` beats `gpt-4o*`. Answers are remembered per
 * model name, so a request costs one map lookup.
 */
export class PriceTable {
  private exact = new Map<string, ModelPrice>()
  private patterns: { match: ModelMatcher; price: ModelPrice }[] = []
  private cache = new Map<string, ModelPrice | null>()

  constructor(rows: readonly ModelPriceRow[] = []) {
    const globs: { pattern: string; price: ModelPrice }[] = []
    for (const r of rows) {
      const price = { input: r.input, cachedInput: r.cachedInput, cacheWrite: r.cacheWrite, output: r.output }
      if (r.model.includes('*')) globs.push({ pattern: r.model, price })
      else this.exact.set(r.model.toLowerCase(), price)
    }
    globs.sort((a, b) => b.pattern.replaceAll('*', '').length - a.pattern.replaceAll('*', '').length)
    this.patterns = globs.map(g => ({ match: globMatcher(g.pattern), price: g.price }))
  }

  /** The price of a model, or null when none is listed (counted at 0, shown as unpriced). */
  lookup(model: string): ModelPrice | null {
    const hit = this.cache.get(model)
    if (hit !== undefined) return hit
    const lower = model.toLowerCase()
    const price = this.exact.get(lower) ?? this.patterns.find(p => p.match(lower))?.price ?? null
    if (this.cache.size >= LOOKUP_CACHE_LIMIT) this.cache.clear()
    this.cache.set(model, price)
    return price
  }
}

/**
 * USD for one answer's usage. `promptTokens` counts all input (cached reads and cache writes
 * included, as the usage taps report it), so the uncached part is what remains after both.
 */
export function costOf(u: Usage, price: ModelPrice | null, multiplier: number): number {
  if (!price) return 0
  // Parts never exceed the whole, whatever an upstream reports.
  const prompt = Math.max(0, u.promptTokens)
  const cached = Math.min(prompt, Math.max(0, u.cachedTokens))
  const written = Math.min(prompt - cached, Math.max(0, u.cacheWriteTokens ?? 0))
  const uncached = prompt - cached - written
  const output = Math.max(0, u.completionTokens)
  const usd = (uncached * price.input + cached * price.cachedInput + written * price.cacheWrite + output * price.output) / 1e6
  const m = Number.isFinite(multiplier) && multiplier >= 0 ? multiplier : 1
  return usd * m
}
