import { describe, expect, it } from 'vitest'
import { clientAddress, rateLimitBucket } from '../../../shared/clientIp'

describe('client address', () => {
  it('is the socket peer unless TRUST_PROXY', () => {
    expect(clientAddress('10.0.0.5', '203.0.113.7', false)).toBe('10.0.0.5')
    expect(clientAddress('10.0.0.5', undefined, true)).toBe('10.0.0.5')
    expect(clientAddress('10.0.0.5', ' , ', true)).toBe('10.0.0.5')
  })

  it('behind a proxy is the rightmost X-Forwarded-For entry, whatever the caller put to its left', () => {
    expect(clientAddress('10.0.0.5', '203.0.113.7', true)).toBe('203.0.113.7')
    expect(clientAddress('10.0.0.5', '1.1.1.1, 2.2.2.2, 203.0.113.7', true)).toBe('203.0.113.7')
    expect(clientAddress('10.0.0.5', '1.1.1.1,203.0.113.7 , ', true)).toBe('203.0.113.7')
    expect(clientAddress('10.0.0.5', ['1.1.1.1', '2001:db8::7'], true)).toBe('2001:db8::7')
  })
})

describe('rate-limit bucket', () => {
  it('is the address itself for IPv4, IPv4-mapped IPv6 included', () => {
    expect(rateLimitBucket('203.0.113.7')).toBe('203.0.113.7')
    expect(rateLimitBucket('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(rateLimitBucket('::FFFF:203.0.113.7')).toBe('203.0.113.7')
  })

  it('puts every IPv6 address of one /64 in one bucket, however it is written', () => {
    const bucket = rateLimitBucket('2001:db8:1:2::1')
    expect(bucket).toBe('2001:db8:1:2::/64')
    for (const a of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:9', '2001:db8:1:2:a:b:c:d', '2001:db8:1:2::1.2.3.4', 'fe80::1%eth0'.replace('fe80', '2001:db8:1:2'), '2001:db8:1:2::'])
      expect(rateLimitBucket(a), a).toBe(bucket)
  })

  it('keeps neighbouring /64s apart', () => {
    expect(rateLimitBucket('2001:db8:1:3::1')).not.toBe(rateLimitBucket('2001:db8:1:2::1'))
    expect(rateLimitBucket('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(rateLimitBucket('::1')).toBe('0:0:0:0::/64')
  })

  it('leaves what is not an address as it is (its own bucket)', () => {
    expect(rateLimitBucket('unknown')).toBe('unknown')
    expect(rateLimitBucket('')).toBe('')
  })
})
