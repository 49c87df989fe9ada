/**
 * The caller's address, the one rule for the management API and the proxy's request log.
 * Without TRUST_PROXY it is the socket's peer. With it, the rightmost `X-Forwarded-For` entry:
 * the address our nearest proxy saw. Entries to its left were written by whoever sent the
 * request, so believing the leftmost one would let a caller pick its own rate-limit bucket.
 */
export function clientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor !== undefined) {
    const joined = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
    const entries = joined.split(',')
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!.trim()
      if (entry) return entry
    }
  }
  return remoteAddress ?? ''
}

/**
 * The bucket an address is rate limited in: an IPv4 address alone (IPv4-mapped IPv6 included),
 * an IPv6 address by its /64, the smallest block a single subscriber is usually given, so one
 * host cannot get a fresh budget from each of its 2^64 addresses.
 */
export function rateLimitBucket(address: string): string {
  const ip = address.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!IPV6.test(ip) || ip.split('::').length > 2) return ip
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`
}

/** Hex groups and colons, optionally ending in a dotted quad (no node:net here: pages share this folder). */
const IPV6 = /^(?=.*:)[0-9a-f:]+(?:\d+\.\d+\.\d+\.\d+)?$/i

/** The eight 16-bit groups of a valid IPv6 address, lower-case without leading zeros. */
function expandIpv6(ip: string): string[] {
  let text = ip.toLowerCase()
  // A trailing dotted quad (::1.2.3.4) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.map(g => Number.parseInt(g, 16).toString(16))
}
