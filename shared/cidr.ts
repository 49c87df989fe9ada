/**
 * Address and CIDR syntax for proxy-key IP allowlists, in plain TypeScript so the console's form
 * and the API check the same way (no node:net in the browser). The server compiles what passes
 * into a node:net BlockList.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

export function isIPv4(s: string): boolean { return IPV4.test(s) }

export function isIPv6(s: string): boolean {
  if (s.length > 45 || !s.includes(':')) return false
  let groups = s
  let extra = 0
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for two groups.
  const lastColon = s.lastIndexOf(':')
  if (s.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(s.slice(lastColon + 1))) return false
    groups = s.slice(0, lastColon + 1) + '0'
    extra = 1
  }
  const halves = groups.split('::')
  if (halves.length > 2) return false
  const parts = (h: string) => (h === '' ? [] : h.split(':'))
  const head = parts(halves[0]!)
  const tail = halves.length === 2 ? parts(halves[1]!) : []
  if (![...head, ...tail].every(p => /^[0-9a-f]{1,4}$/i.test(p))) return false
  const n = head.length + tail.length + extra
  return halves.length === 2 ? n <= 7 : n === 8
}

/** `1.2.3.4`, `10.0.0.0/8`, `::1`, `2001:db8::/32`: what an allowlist entry may be. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = entry.indexOf('/')
  const address = slash < 0 ? entry : entry.slice(0, slash)
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null
  if (!family) return null
  const max = family === 'ipv4' ? 32 : 128
  if (slash < 0) return { address, prefix: max, family }
  const p = entry.slice(slash + 1)
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null
  return { address, prefix: Number(p), family }
}

export const isCidr = (entry: string): boolean => parseCidr(entry) !== null
