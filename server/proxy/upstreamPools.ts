import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici'
import type { SettingsMap } from '../../shared/settings'
import type { EngineOptions } from './ports'

type OutboundProxy = EngineOptions['outboundProxy']

/** Opens the connection pool for one upstream origin with one group's settings. */
export type UpstreamTransport = (origin: string, settings: SettingsMap) => Dispatcher

/** undici keep-alive agents, through the group's proxy_url or HTTP_PROXY / HTTPS_PROXY when set. */
export function undiciTransport(env: OutboundProxy): UpstreamTransport {
  return (_origin, s) => {
    const options = {
      connect: { timeout: s.connect_timeout * 1000 },
      headersTimeout: s.response_header_timeout * 1000,
      // undici's bodyTimeout is the longest silence between body chunks; the total request time
      // is enforced per request by the forwarder, so a slow but live stream is not cut here.
      bodyTimeout: s.request_timeout * 1000,
      keepAliveTimeout: s.idle_conn_timeout * 1000,
      keepAliveMaxTimeout: s.idle_conn_timeout * 1000,
    }
    if (s.proxy_url) return new ProxyAgent({ ...options, uri: s.proxy_url })
    if (env.http || env.https) {
      return new EnvHttpProxyAgent({
        ...options,
        httpProxy: env.http || undefined,
        httpsProxy: env.https || env.http || undefined,
        noProxy: env.noProxy || undefined,
      })
    }
    return new Agent(options)
  }
}

/**
 * One keep-alive pool per upstream origin and agent settings, created on first use and shared
 * by every group and request with the same pair. Groups with different timeouts or proxies for
 * the same origin get separate pools, so one group's settings never close another's sockets.
 * (A pool left behind by a settings change idles out its connections after idle_conn_timeout.)
 */
export class UpstreamDispatchers {
  private readonly pools = new Map<string, Dispatcher>()

  constructor(private readonly open: UpstreamTransport) {}

  for(origin: string, s: SettingsMap): Dispatcher {
    const id = `${origin}|${s.connect_timeout}|${s.response_header_timeout}|${s.request_timeout}|${s.idle_conn_timeout}|${s.max_idle_conns}|${s.proxy_url}`
    let d = this.pools.get(id)
    if (!d) this.pools.set(id, (d = this.open(origin, s)))
    return d
  }

  /** Shutdown: lets in-flight requests finish, then closes every pool. */
  async close(): Promise<void> {
    const all = [...this.pools.values()]
    this.pools.clear()
    await Promise.allSettled(all.map(d => d.close()))
  }
}
