import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCALES, mergeLocaleFiles, type LocaleCode, type MessageTree } from '.'

/** Node only (the check and its test): the locale files under `root`, merged as the console's plugin merges them. */
export function readLocales(root = join(import.meta.dirname, 'locales')): { messages: Record<LocaleCode, MessageTree>; areas: string[] } {
  const files: Record<string, MessageTree> = {}
  const areas = new Set<string>()
  for (const { code } of LOCALES) {
    let names: string[] = []
    try { names = readdirSync(join(root, code)).filter(f => f.endsWith('.json')) } catch { /* a missing language folder: all its keys are missing */ }
    for (const f of names) {
      files[`locales/${code}/${f}`] = JSON.parse(readFileSync(join(root, code, f), 'utf8'))
      areas.add(f.replace(/\.json$/, ''))
    }
  }
  return { messages: mergeLocaleFiles(files), areas: [...areas].sort() }
}
