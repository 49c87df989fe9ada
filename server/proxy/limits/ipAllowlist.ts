import { BlockList } from 'node:net'
import { parseCidr } from '../../../shared/cidr'

export type IpCheck = (address: string) => boolean

const SEEN_LIMIT = 10_000

/**
 * A proxy key's allowlist as one BlockList, built when the key is loaded. An IPv4-mapped IPv6
 * address (`::ffff:10.1.2.3`, how a dual-stack socket reports IPv4 clients) is checked as the
 * IPv4 address it is; anything that is not an address is refused.
 */
export function compileAllowlist(entries: readonly string[] | null | undefined): IpCheck | null {
  if (!entries?.length) return null
  const list = new BlockList()
  for (const e of entries) {
    const c = parseCidr(e.trim())
    if (!c) continue
    try { list.addSubnet(c.address, c.prefix, c.family) } catch {}
  }
  // BlockList.check parses the address into a native handle on every call: remember the answers.
  const seen = new Map<string, boolean>()
  return (address) => {
    const hit = seen.get(address)
    if (hit !== undefined) return hit
    const ip = address.replace(/%.*$/, '')
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
    let ok = false
    try { ok = mapped ? list.check(mapped[1]!, 'ipv4') : list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4') } catch {}
    if (seen.size >= SEEN_LIMIT) seen.clear()
    seen.set(address, ok)
    return ok
  }
}
