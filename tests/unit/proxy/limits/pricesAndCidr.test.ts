import { describe, expect, it } from 'vitest'
import { isCidr } from '../../../../shared/cidr'
import { compileAllowlist } from '../../../../server/proxy/limits/ipAllowlist'
import { costOf, PriceTable } from '../../../../server/proxy/limits/prices'
import { SEED_PRICES } from '../../../../server/services/priceSeed'

const row = (model: string, input: number, output = 0) =>
  ({ model, input, cachedInput: input / 2, cacheWrite: input * 1.25, output, updatedAt: 0 })

describe('price table', () => {
  it('exact names first, then the longest pattern, case-insensitively; unknown models are unpriced', () => {
    const t = new PriceTable([row('gpt-4o*', 2.5), row('gpt-4o-mini*', 0.15), row('gpt-4o-mini-2024-07-18', 0.1), row('*', 9)])
    expect(t.lookup('gpt-4o-2024-08-06')?.input).toBe(2.5)
    expect(t.lookup('GPT-4o-mini')?.input).toBe(0.15)
    expect(t.lookup('gpt-4o-mini-2024-07-18')?.input).toBe(0.1)
    expect(t.lookup('anything')?.input).toBe(9)
    expect(new PriceTable([row('gpt-4o*', 1)]).lookup('claude-3')).toBeNull()
  })

  it('costs uncached input, cached reads, cache writes and output at their own prices, times the multiplier', () => {
    const p = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 }
    // 1000 input of which 600 cache reads and 100 cache writes: 300 uncached.
    const u = { promptTokens: 1000, cachedTokens: 600, cacheWriteTokens: 100, completionTokens: 50 }
    expect(costOf(u, p, 1)).toBeCloseTo((300 * 3 + 600 * 0.3 + 100 * 3.75 + 50 * 15) / 1e6, 15)
    expect(costOf(u, p, 0.5)).toBeCloseTo((300 * 3 + 600 * 0.3 + 100 * 3.75 + 50 * 15) / 2e6, 15)
    expect(costOf(u, null, 1)).toBe(0)
    // A hostile usage report cannot make a negative cost.
    expect(costOf({ promptTokens: -5, cachedTokens: 10, completionTokens: -3 }, p, 1)).toBe(0)
  })

  it('the seed prices the common models of all three providers', () => {
    const t = new PriceTable(SEED_PRICES.map(p => ({ ...p, updatedAt: 0 })))
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-mini', 'o3', 'o4-mini', 'claude-3-5-sonnet-20241022', 'claude-3-7-sonnet-latest',
      'claude-sonnet-4-20250514', 'claude-opus-4-1-20250805', 'claude-3-5-haiku-latest', 'gemini-1.5-pro', 'gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-2.5-pro'])
      expect(t.lookup(m), m).not.toBeNull()
    expect(t.lookup('gpt-4o-mini')!.input).toBe(0.15)
    expect(t.lookup('gemini-2.5-flash-lite')!.input).toBe(0.1)
  })
})

describe('IP allowlists', () => {
  it('accepts addresses and CIDRs of both families, refuses the rest (the same check the console runs)', () => {
    for (const ok of ['10.0.0.0/8', '192.168.1.7', '0.0.0.0/0', '::1', '::', '2001:db8::/32', 'fe80::1:2:3:4', '::ffff:10.1.2.3', '1:2:3:4:5:6:7:8/128'])
      expect(isCidr(ok), ok).toBe(true)
    for (const bad of ['', '10.0.0.0/33', '256.1.1.1', '1.2.3', '01.2.3.4', 'localhost', '1:2:3:4:5:6:7:8:9', '1::2::3', '::/129', '10.0.0.0/', '10.0.0.0/08x', ' 1.2.3.4'])
      expect(isCidr(bad), bad).toBe(false)
  })

  it('matches client addresses, IPv4-mapped IPv6 as IPv4, and refuses what is not an address', () => {
    const allowed = compileAllowlist(['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'])!
    expect(allowed('10.200.3.4')).toBe(true)
    expect(allowed('::ffff:10.1.2.3')).toBe(true)
    expect(allowed('2001:db8:1::5')).toBe(true)
    expect(allowed('127.0.0.1')).toBe(true)
    expect(allowed('11.0.0.1')).toBe(false)
    expect(allowed('2001:db9::1')).toBe(false)
    expect(allowed('not-an-ip')).toBe(false)
    expect(allowed('')).toBe(false)
    expect(compileAllowlist([])).toBeNull()
  })
})
