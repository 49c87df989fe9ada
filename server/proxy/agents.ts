import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici'
import type { SettingsMap } from '../../shared/settings'

/** HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment, set once at boot. */
export type OutboundProxyEnv = { http: string; https: string; noProxy: string }
let envProxy: OutboundProxyEnv = { http: '', https: '', noProxy: '' }
export function configureOutboundProxy(p: OutboundProxyEnv) { envProxy = p }

const agents = new Map<string, Dispatcher>()

type AgentSettings = Pick<SettingsMap, 'connect_timeout' | 'response_header_timeout' | 'request_timeout' | 'idle_conn_timeout' | 'max_idle_conns' | 'proxy_url'>

function signatureOf(s: AgentSettings): string {
  return `${s.connect_timeout}|${s.response_header_timeout}|${s.request_timeout}|${s.idle_conn_timeout}|${s.max_idle_conns}|${s.proxy_url}|${envProxy.http}|${envProxy.https}|${envProxy.noProxy}`
}

function createDispatcher(s: AgentSettings): Dispatcher {
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
  if (envProxy.http || envProxy.https) {
    return new EnvHttpProxyAgent({ ...options, httpProxy: envProxy.http || undefined, httpsProxy: envProxy.https || envProxy.http || undefined, noProxy: envProxy.noProxy || undefined })
  }
  return new Agent(options)
}

/**
 * One keep-alive pool per upstream origin and agent settings, created on first use and shared
 * by every group and request with the same pair. Groups with different timeouts or proxies for
 * the same origin get separate pools, so one group's settings never close another's sockets.
 * (A pool left behind by a settings change idles out its connections after idle_conn_timeout.)
 */
export function dispatcherFor(origin: string, s: AgentSettings): Dispatcher {
  const id = `${origin}|${signatureOf(s)}`
  let d = agents.get(id)
  if (!d) agents.set(id, (d = createDispatcher(s)))
  return d
}

/** Shutdown: lets in-flight requests finish, then closes every pool. */
export async function closeAllDispatchers(): Promise<void> {
  const all = [...agents.values()]
  agents.clear()
  await Promise.allSettled(all.map(d => d.close()))
}
