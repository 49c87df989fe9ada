/**
 * Smooth weighted round robin (nginx's): over any weights it spreads picks evenly instead of in
 * bursts. `current` lives on the items, so picking allocates nothing.
 */
export type WrrItem = { weight: number; current: number }

export function pickWeighted<T extends WrrItem>(items: readonly T[], usable?: (item: T) => boolean): T | null {
  let total = 0
  let best: T | null = null
  for (const it of items) {
    if (it.weight <= 0 || (usable && !usable(it))) continue
    it.current += it.weight
    total += it.weight
    if (!best || it.current > best.current) best = it
  }
  if (best) best.current -= total
  return best
}
