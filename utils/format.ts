/** Display helpers shared by the console's views; `locale` is vue-i18n's current language. */
export const formatNumber = (n: number | null | undefined, locale: string) => (n === null || n === undefined ? '—' : n.toLocaleString(locale))

export function formatCompact(n: number, locale: string): string {
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

export const formatPercent = (r: number | null | undefined, locale: string) =>
  (r === null || r === undefined ? '—' : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(r))

export const formatMs = (ms: number | null | undefined, locale: string) =>
  (ms === null || ms === undefined ? '—' : ms >= 10_000 ? `${(ms / 1000).toLocaleString(locale, { maximumFractionDigits: 1 })} s` : `${ms.toLocaleString(locale)} ms`)

export const formatTime = (t: number, locale: string) =>
  new Date(t).toLocaleString(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** Change against the period before, as a signed fraction (null when there is nothing to compare with). */
export const trend = (now: number | null, before: number | null) =>
  (now === null || before === null || before === 0 ? null : (now - before) / before)

/** Naive UI tag colour for an HTTP status (0: no answer). */
export const statusTagType = (status: number) =>
  (status >= 200 && status < 300 ? 'success' : status === 429 || status === 499 ? 'warning' : status === 0 || status >= 400 ? 'error' : 'default')
