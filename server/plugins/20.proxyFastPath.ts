import type { H3Event } from 'h3'
import { lifecycle } from '../app'
import { handleProxy } from '../proxy/handler'

const GROUP_PATH = /^\/proxy\/([a-z0-9_-]{1,100})(?:[/?]|$)/

/**
 * Proxy requests skip Nitro's per-request machinery (request hooks, route rules, the
 * middleware chain and the router): on a small chat completion it costs about as much as
 * the whole engine, and the benchmark holds Keygate to 0.9× a bare proxy's throughput.
 * The route files under server/routes serve the same paths through the normal stack, which
 * is what runs until the app is ready (the readiness gate lives there).
 */
export default defineNitroPlugin((nitroApp) => {
  const app = nitroApp.h3App
  const full = app.handler
  app.handler = Object.assign((event: H3Event) => {
    if (!lifecycle.ready) return full(event)
    const url = event.node.req.url ?? '/'
    if (url.startsWith('/v1/') || url.startsWith('/v1beta/')) return handleProxy(event, { kind: 'unified' })
    if (url.startsWith('/proxy/')) {
      const m = GROUP_PATH.exec(url)
      if (m) return handleProxy(event, { kind: 'group', group: m[1]! })
    }
    return full(event)
  }, full)
})
