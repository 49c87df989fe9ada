/** `*` patterns as in the group's `models` and the proxy key's allowed models. */
export type ModelMatcher = (model: string) => boolean

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')

export function modelMatcher(patterns: readonly string[]): ModelMatcher {
  if (!patterns.length) return () => true
  if (patterns.includes('*')) return () => true
  const exact = new Set(patterns.filter(p => !p.includes('*')))
  const globs = patterns.filter(p => p.includes('*')).map(p => new RegExp(`^${p.split('*').map(escape).join('.*')}$`, 'i'))
  return m => exact.has(m) || globs.some(r => r.test(m))
}

/** Names a group lists outright (patterns cannot be listed), plus its redirect sources. */
export function listableModels(models: readonly string[], redirects: Record<string, string>, strict: boolean): string[] {
  const out = new Set<string>(Object.keys(redirects))
  if (!strict) for (const m of models) if (!m.includes('*')) out.add(m)
  return [...out]
}
