/**
 * The console's languages and how their messages are put together. Messages live in one JSON
 * file per language and area (`i18n/locales/<lang>/<area>.json`); each file becomes the `<area>`
 * namespace (`t('logs.title')` reads `logs.json`), so a new area is a new file in each language
 * folder and nothing else. `npm run check:i18n` fails when a language lacks a key another has.
 */
export const LOCALES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
  { code: 'ja', label: '日本語' },
] as const
export type LocaleCode = (typeof LOCALES)[number]['code']
export const DEFAULT_LOCALE: LocaleCode = 'en'
export const LOCALE_STORAGE_KEY = 'keygate.locale'

export type MessageTree = { [key: string]: string | MessageTree }

const isLocale = (v: unknown): v is LocaleCode => LOCALES.some(l => l.code === v)

/** `{ '<anything>/locales/en/logs.json': { default: {...} } }` → `{ en: { logs: {...} } }`. */
export function mergeLocaleFiles(files: Record<string, { default: MessageTree } | MessageTree>): Record<LocaleCode, MessageTree> {
  const out = Object.fromEntries(LOCALES.map(l => [l.code, {}])) as Record<LocaleCode, MessageTree>
  for (const [path, mod] of Object.entries(files)) {
    const m = /locales\/([^/]+)\/([\w-]+)\.json$/.exec(path)
    if (!m || !isLocale(m[1])) continue
    const tree = 'default' in mod && typeof mod.default === 'object' ? mod.default as MessageTree : mod as MessageTree
    out[m[1]][m[2]!] = tree
  }
  return out
}

/** The stored choice if it is one of ours, else the first browser language we speak, else English. */
export function pickLocale(stored: string | null | undefined, browser: readonly string[]): LocaleCode {
  if (isLocale(stored)) return stored
  for (const lang of browser) {
    const exact = LOCALES.find(l => l.code.toLowerCase() === lang.toLowerCase())
    if (exact) return exact.code
    const base = LOCALES.find(l => l.code.split('-')[0] === lang.toLowerCase().split('-')[0])
    if (base) return base.code
  }
  return DEFAULT_LOCALE
}

function flatten(tree: MessageTree, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else flatten(v, key, out)
  }
  return out
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map(m => m[1]).sort().join(',')

/**
 * Every key that some language has and another lacks, every empty message, and every message
 * whose `{placeholders}` differ from English's: one line per problem, empty when all agree.
 */
export function checkMessages(messages: Record<string, MessageTree>): string[] {
  const flat = Object.fromEntries(Object.entries(messages).map(([lang, tree]) => [lang, flatten(tree)]))
  const all = new Set(Object.values(flat).flatMap(m => [...m.keys()]))
  const problems: string[] = []
  const reference = flat[DEFAULT_LOCALE]
  for (const [lang, m] of Object.entries(flat)) {
    for (const key of [...all].sort()) {
      const text = m.get(key)
      if (text === undefined) problems.push(`${lang}: missing ${key}`)
      else if (!text.trim()) problems.push(`${lang}: empty ${key}`)
      else if (reference && lang !== DEFAULT_LOCALE && reference.has(key) && placeholders(reference.get(key)!) !== placeholders(text)) {
        problems.push(`${lang}: ${key} has placeholders {${placeholders(text)}}, English has {${placeholders(reference.get(key)!)}}`)
      }
    }
  }
  return problems
}
