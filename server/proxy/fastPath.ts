import type { ProxyRoute } from './handler'

const UNIFIED: ProxyRoute = { kind: 'unified' }

/**
 * The proxy route a raw request URL (`req.url`) belongs to, or null for everything else: the same
 * paths the route files `proxy/[group]/[...path]`, `v1/[...path]` and `v1beta/[...path]` serve.
 * `/proxy/{group}` needs a group segment followed by `/`, as the router does.
 */
export function proxyRouteOf(url: string): ProxyRoute | null {
  if (url.startsWith('/v1/') || url.startsWith('/v1beta/')) return UNIFIED
  if (!url.startsWith('/proxy/')) return null
  const end = url.indexOf('/', 7)
  if (end <= 7) return null
  const q = url.indexOf('?')
  if (q >= 0 && q < end) return null
  return { kind: 'group', group: url.slice(7, end) }
}
