import { lifecycle } from '../app'
import { proxyRouteOf } from '../proxy/fastPath'
import { handleProxy } from '../proxy/handler'

/**
 * Once boot has finished, proxy requests go from the h3 app straight to the engine, skipping
 * Nitro's generic per-request pipeline: route-rule matching (radix3 `matchAll`, which sorts its
 * table on every call, plus `defu`), the `request`/`beforeResponse`/`afterResponse` hooks
 * (hookable's serialTaskCaller with `console.createTask`), the middleware stack and the router
 * lookup. That pipeline was ~10 % of Keygate's CPU per proxied request in `npm run bench`
 * (bench/README.md). None of it applies to proxy routes: the middleware only gates startup and
 * guards /api, and there are no route rules for them. Before ready, and for every other path,
 * the generic pipeline runs as before (the ready gate lives there).
 */
export default defineNitroPlugin((nitroApp) => {
  const app = nitroApp.h3App
  const generic = app.handler
  app.handler = (event) => {
    if (lifecycle.ready) {
      const route = proxyRouteOf(event.node.req.url ?? '')
      if (route) return handleProxy(event, route)
    }
    return generic(event)
  }
})
