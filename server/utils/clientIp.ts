import type { H3Event } from 'h3'

/** The caller's address; X-Forwarded-For is believed only with TRUST_PROXY=true. */
export function clientIp(event: H3Event, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = event.node.req.headers['x-forwarded-for']
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim()
    if (first) return first
  }
  return event.node.req.socket.remoteAddress ?? ''
}
