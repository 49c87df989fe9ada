import type { H3Event } from 'h3'
import { clientAddress } from '../../shared/clientIp'

/** The caller's address, by the same rule as the proxy's request log (shared/clientIp.ts). */
export function clientIp(event: H3Event, trustProxy: boolean): string {
  return clientAddress(event.node.req.socket.remoteAddress, event.node.req.headers['x-forwarded-for'], trustProxy)
}

/** The host the caller asked for; the rightmost X-Forwarded-Host entry only with TRUST_PROXY. */
export function requestHost(event: H3Event, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? getRequestHeader(event, 'x-forwarded-host')?.split(',').pop()?.trim() : undefined
  return forwarded || getRequestHeader(event, 'host')
}
