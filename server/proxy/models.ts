/** `*` patterns as in the group's `models` and the proxy key's allowed models. */
export type ModelMatcher = (model: string) => boolean

/**
 * The longest model name a request may ask for (400 past it). Real names are far shorter; the
 * cap keeps matching, logging and error messages cheap whatever a client sends.
 */
export const MAX_MODEL_LENGTH = 256

/**
 * One `*` pattern, case-insensitive, matched without backtracking: the first piece must be a
 * prefix, the last a suffix, and the pieces between are found left to right with `indexOf`
 * (taking each at its leftmost place never loses a match). Cost: linear in the model's length.
 */
export function globMatcher(pattern: string): ModelMatcher {
  const pieces = pattern.toLowerCase().split('*')
  const head = pieces[0]!
  const tail = pieces.at(-1)!
  const middle = pieces.slice(1, -1).filter(Boolean)
  const minLength = head.length + tail.length
  return (model) => {
    if (model.length < minLength) return false
    const m = model.toLowerCase()
    if (!m.startsWith(head) || !m.endsWith(tail)) return false
    let at = head.length
    const end = m.length - tail.length
    for (const piece of middle) {
      const found = m.indexOf(piece, at)
      if (found < 0 || found + piece.length > end) return false
      at = found + piece.length
    }
    return true
  }
}

export function modelMatcher(patterns: readonly string[]): ModelMatcher {
  if (!restrictsModels(patterns)) return () => true
  const exact = new Set(patterns.filter(p => !p.includes('*')))
  const globs = patterns.filter(p => p.includes('*')).map(globMatcher)
  return m => m.length <= MAX_MODEL_LENGTH && (exact.has(m) || globs.some(g => g(m)))
}

/** Whether `patterns` limit the models at all (empty or a bare `*`: every model). */
export const restrictsModels = (patterns: readonly string[] | null | undefined): boolean =>
  !!patterns?.length && !patterns.includes('*')

/** Names a group lists outright (patterns cannot be listed), plus its redirect sources. */
export function listableModels(models: readonly string[], redirects: Record<string, string>, strict: boolean): string[] {
  const out = new Set<string>(Object.keys(redirects))
  if (!strict) for (const m of models) if (!m.includes('*')) out.add(m)
  return [...out]
}
