import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkMessages, LOCALES, mergeLocaleFiles, pickLocale } from '../../../i18n'
import { readLocales } from '../../../i18n/readLocales'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** A locales folder with the given `<lang>/<area>.json` contents. */
function localesDir(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'keygate-i18n-'))
  dirs.push(root)
  for (const [path, tree] of Object.entries(files)) {
    mkdirSync(join(root, path.split('/')[0]!), { recursive: true })
    writeFileSync(join(root, `${path}.json`), JSON.stringify(tree))
  }
  return root
}

describe('console messages', () => {
  it('the shipped languages agree on every key, none empty, placeholders alike', () => {
    const { messages, areas } = readLocales()
    expect(areas).toContain('common')
    expect(checkMessages(messages)).toEqual([])
    expect(Object.keys(messages).sort()).toEqual(LOCALES.map(l => l.code).sort())
  })

  it('names a key one language lacks, a whole missing area, an empty message and a placeholder mismatch', () => {
    const root = localesDir({
      'en/logs': { title: 'Logs', rows: '{n} rows' },
      'zh-CN/logs': { title: '日志', rows: '{count} 行' },
      'ja/logs': { title: '' },
      'en/extra': { only: 'English only' },
      'zh-CN/extra': { only: '仅英文' },
    })
    expect(checkMessages(readLocales(root).messages)).toEqual([
      'zh-CN: logs.rows has placeholders {count}, English has {n}',
      'ja: missing extra.only',
      'ja: missing logs.rows',
      'ja: empty logs.title',
    ])
  })

  it('puts each file under its area and ignores files outside a known language', () => {
    const merged = mergeLocaleFiles({
      '../i18n/locales/en/logs.json': { default: { title: 'Logs' } },
      '../i18n/locales/en/dashboard.json': { title: 'Dashboard' },
      '../i18n/locales/fr/logs.json': { title: 'Journaux' },
    })
    expect(merged.en).toEqual({ logs: { title: 'Logs' }, dashboard: { title: 'Dashboard' } })
    expect(Object.keys(merged)).not.toContain('fr')
  })

  it('starts in the remembered language, else the first browser language it speaks, else English', () => {
    expect(pickLocale('ja', ['zh-CN'])).toBe('ja')
    expect(pickLocale('xx', ['fr-FR', 'zh-Hans-CN', 'ja'])).toBe('zh-CN')
    expect(pickLocale(null, ['ja-JP'])).toBe('ja')
    expect(pickLocale(null, ['de-DE'])).toBe('en')
  })
})
