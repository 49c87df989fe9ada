/**
 * Calendar periods (day, week from Monday, month) in an IANA time zone, with Intl alone: the
 * wall-clock offset at an instant is read from Intl's parts, and a local midnight is found by
 * correcting a UTC guess twice (the second pass settles a DST change between guess and answer).
 */

export type BudgetPeriod = 'none' | 'day' | 'week' | 'month'
/** `end` null: the period never ends (`none`: the key's whole life). */
export type PeriodWindow = { start: number; end: number | null }

const formats = new Map<string, Intl.DateTimeFormat>()

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    formats.set(tz, f)
  }
  return f
}

function wallClock(tz: string, t: number) {
  const p: Record<string, number> = {}
  for (const part of format(tz).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! }
}

/** How far the zone's wall clock is ahead of UTC at `t`. */
function offsetAt(tz: string, t: number): number {
  const w = wallClock(tz, t)
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - (t - (((t % 1000) + 1000) % 1000))
}

/** The instant of local midnight on y-m-d (month 1-based; overflowing days roll over). */
function localMidnight(tz: string, y: number, m: number, d: number): number {
  const guess = Date.UTC(y, m - 1, d)
  const first = guess - offsetAt(tz, guess)
  return guess - offsetAt(tz, first)
}

/** The period around `now`. An unknown zone falls back to UTC (settings validate it). */
export function periodWindow(period: BudgetPeriod | string, tz: string, now: number): PeriodWindow {
  if (period !== 'day' && period !== 'week' && period !== 'month') return { start: 0, end: null }
  try { format(tz) } catch { tz = 'UTC' }
  const w = wallClock(tz, now)
  if (period === 'day') return { start: localMidnight(tz, w.y, w.m, w.d), end: localMidnight(tz, w.y, w.m, w.d + 1) }
  if (period === 'month') return { start: localMidnight(tz, w.y, w.m, 1), end: localMidnight(tz, w.y, w.m + 1, 1) }
  const sinceMonday = (new Date(Date.UTC(w.y, w.m - 1, w.d)).getUTCDay() + 6) % 7
  return { start: localMidnight(tz, w.y, w.m, w.d - sinceMonday), end: localMidnight(tz, w.y, w.m, w.d - sinceMonday + 7) }
}

/**
 * The hot path asks for the current period on every request: the answer is kept until the
 * period ends or the zone changes, so a request costs a comparison, not an Intl call.
 */
export class PeriodClock {
  private cache = new Map<string, PeriodWindow & { tz: string }>()

  window(period: string, tz: string, now: number): PeriodWindow {
    if (period !== 'day' && period !== 'week' && period !== 'month') return { start: 0, end: null }
    const hit = this.cache.get(period)
    if (hit && hit.tz === tz && now >= hit.start && now < hit.end!) return hit
    const w = periodWindow(period, tz, now)
    this.cache.set(period, { ...w, tz })
    return w
  }
}
