import { describe, expect, it } from 'vitest'
import { PeriodClock, periodWindow } from '../../../../server/proxy/limits/periods'

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

describe('calendar periods in a time zone', () => {
  it('day, week (from Monday) and month in UTC', () => {
    const now = Date.parse('2026-12-04T15:30:00Z') // a Friday
    expect([iso(periodWindow('day', 'UTC', now).start), iso(periodWindow('day', 'UTC', now).end)]).toEqual(['2026-12-04T00:00:00.000Z', '2026-12-05T00:00:00.000Z'])
    expect([iso(periodWindow('week', 'UTC', now).start), iso(periodWindow('week', 'UTC', now).end)]).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z'])
    expect([iso(periodWindow('month', 'UTC', now).start), iso(periodWindow('month', 'UTC', now).end)]).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'])
  })

  it('local midnight in a zone ahead of and behind UTC, including half-hour offsets', () => {
    const now = Date.parse('2026-12-04T23:30:00Z')
    // Berlin is UTC+1 in December: 00:30 on the 5th there.
    expect(iso(periodWindow('day', 'Europe/Berlin', now).start)).toBe('2026-12-04T23:00:00.000Z')
    expect(iso(periodWindow('day', 'America/Los_Angeles', now).start)).toBe('2026-12-04T08:00:00.000Z')
    expect(iso(periodWindow('day', 'Asia/Kolkata', now).start)).toBe('2026-12-04T18:30:00.000Z')
    expect(iso(periodWindow('month', 'Asia/Tokyo', Date.parse('2026-11-30T16:00:00Z')).start)).toBe('2026-11-30T15:00:00.000Z')
  })

  it('days across a DST change are 23 or 25 hours long', () => {
    const spring = periodWindow('day', 'Europe/Berlin', Date.parse('2026-03-29T12:00:00Z'))
    expect(iso(spring.start)).toBe('2026-03-28T23:00:00.000Z')
    expect(spring.end! - spring.start).toBe(23 * 3_600_000)
    const autumn = periodWindow('day', 'America/New_York', Date.parse('2026-11-01T12:00:00Z'))
    expect(iso(autumn.start)).toBe('2026-11-01T04:00:00.000Z')
    expect(autumn.end! - autumn.start).toBe(25 * 3_600_000)
  })

  it('none: from the beginning, never ending; an unknown zone counts as UTC', () => {
    expect(periodWindow('none', 'UTC', Date.now())).toEqual({ start: 0, end: null })
    expect(periodWindow('day', 'Mars/Olympus', Date.parse('2026-12-04T15:30:00Z')).start).toBe(Date.parse('2026-12-04T00:00:00Z'))
  })

  it('the clock keeps a period until it ends or the zone changes', () => {
    const c = new PeriodClock()
    const t = Date.parse('2026-12-04T23:59:59Z')
    expect(iso(c.window('day', 'UTC', t).start)).toBe('2026-12-04T00:00:00.000Z')
    expect(iso(c.window('day', 'UTC', t + 1000).start)).toBe('2026-12-05T00:00:00.000Z')
    expect(iso(c.window('day', 'Asia/Tokyo', t + 1000).start)).toBe('2026-12-04T15:00:00.000Z')
  })
})
