import type { ModelPriceInput } from '../../shared/schemas/prices'

/**
 * The price table a new installation starts with: the providers' public list prices in USD per
 * 1M tokens (standard tier, short-context rates) as published in 2025. Written once, at the first
 * start; after that the table is the admin's (settings and console), and a provider's price
 * change must be entered there. `*` patterns cover dated snapshots; the longest pattern wins.
 * Anthropic's cache write is the 5-minute rate (1.25 × input); Gemini bills cache storage by the
 * hour instead, which per-token accounting cannot see, so its cache write is 0.
 */
const p = (model: string, input: number, cachedInput: number, cacheWrite: number, output: number): ModelPriceInput =>
  ({ model, input, cachedInput, cacheWrite, output })

export const SEED_PRICES: readonly ModelPriceInput[] = [
  // OpenAI
  p('gpt-4o*', 2.5, 1.25, 0, 10),
  p('gpt-4o-mini*', 0.15, 0.075, 0, 0.6),
  p('gpt-4.1*', 2, 0.5, 0, 8),
  p('gpt-4.1-mini*', 0.4, 0.1, 0, 1.6),
  p('gpt-4.1-nano*', 0.1, 0.025, 0, 0.4),
  p('gpt-5*', 1.25, 0.125, 0, 10),
  p('gpt-5-mini*', 0.25, 0.025, 0, 2),
  p('gpt-5-nano*', 0.05, 0.005, 0, 0.4),
  p('gpt-4-turbo*', 10, 10, 0, 30),
  p('gpt-3.5-turbo*', 0.5, 0.5, 0, 1.5),
  p('o1*', 15, 7.5, 0, 60),
  p('o1-mini*', 1.1, 0.55, 0, 4.4),
  p('o3*', 2, 0.5, 0, 8),
  p('o3-mini*', 1.1, 0.55, 0, 4.4),
  p('o4-mini*', 1.1, 0.275, 0, 4.4),
  p('text-embedding-3-small', 0.02, 0.02, 0, 0),
  p('text-embedding-3-large', 0.13, 0.13, 0, 0),
  // Anthropic
  p('claude-3-haiku*', 0.25, 0.03, 0.3, 1.25),
  p('claude-3-5-haiku*', 0.8, 0.08, 1, 4),
  p('claude-haiku-4*', 1, 0.1, 1.25, 5),
  p('claude-3-5-sonnet*', 3, 0.3, 3.75, 15),
  p('claude-3-7-sonnet*', 3, 0.3, 3.75, 15),
  p('claude-sonnet-4*', 3, 0.3, 3.75, 15),
  p('claude-3-opus*', 15, 1.5, 18.75, 75),
  p('claude-opus-4*', 15, 1.5, 18.75, 75),
  p('claude-opus-4-5*', 5, 0.5, 6.25, 25),
  // Gemini
  p('gemini-1.5-flash*', 0.075, 0.01875, 0, 0.3),
  p('gemini-1.5-flash-8b*', 0.0375, 0.01, 0, 0.15),
  p('gemini-1.5-pro*', 1.25, 0.3125, 0, 5),
  p('gemini-2.0-flash*', 0.1, 0.025, 0, 0.4),
  p('gemini-2.0-flash-lite*', 0.075, 0.075, 0, 0.3),
  p('gemini-2.5-flash*', 0.3, 0.075, 0, 2.5),
  p('gemini-2.5-flash-lite*', 0.1, 0.025, 0, 0.4),
  p('gemini-2.5-pro*', 1.25, 0.31, 0, 10),
]
