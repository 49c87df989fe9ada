import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { HeaderRule } from '../../shared/types/rows'

/**
 * Never forwarded in either direction (RFC 9110 §7.6.1), plus what we set ourselves. `expect`
 * (curl sends `100-continue` with larger bodies) is answered by Node on the client's hop, and
 * undici refuses to send it, which made such requests fail as "upstream unreachable".
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
  'content-length', 'expect',
])
/** The client's credentials and identity stay here: the upstream gets our key, not theirs. */
const CLIENT_ONLY = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'forwarded', 'accept-encoding', 'origin', 'referer'])

/**
 * Headers that move the request to another account than our key's (OpenAI's organisation and
 * project, Google's quota project): the provider refuses the mismatch as if the key were bad.
 * Only a group's header rules may set them.
 */
const ACCOUNT_SELECTORS = new Set(['openai-organization', 'openai-project', 'x-goog-user-project'])

/** Request headers for the upstream, before the channel puts its key on them. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  const named = incoming.connection ? new Set(String(incoming.connection).toLowerCase().split(',').map(s => s.trim())) : null
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || CLIENT_ONLY.has(name) || ACCOUNT_SELECTORS.has(name) || named?.has(name)) continue
    // Our own request headers (affinity, explain) are for Keygate, not the provider.
    if (name.startsWith('x-keygate-')) continue
    const v = incoming[name]
    if (v === undefined) continue
    out[name] = Array.isArray(v) ? v.join(', ') : v
  }
  // Usage is parsed from the bytes as they pass: ask for them unencoded.
  out['accept-encoding'] = 'identity'
  return out
}

export type RuleVars = { clientIp: string; groupName: string; apiKey: string; now: number }

function expand(value: string, v: RuleVars): string {
  if (!value.includes('${')) return value
  return value.replace(/\$\{(CLIENT_IP|GROUP_NAME|API_KEY|TIMESTAMP_MS|TIMESTAMP_S)\}/g, (_, name: string) => {
    switch (name) {
      case 'CLIENT_IP': return v.clientIp
      case 'GROUP_NAME': return v.groupName
      case 'API_KEY': return v.apiKey
      case 'TIMESTAMP_MS': return String(v.now)
      default: return String(Math.floor(v.now / 1000))
    }
  })
}

/** The group's header rules, applied last so they can override anything (even the key header). */
export function applyHeaderRules(headers: Record<string, string>, rules: readonly HeaderRule[], vars: RuleVars) {
  for (const r of rules) {
    const name = r.name.toLowerCase()
    if (r.action === 'remove') Reflect.deleteProperty(headers, name)
    else headers[name] = expand(r.value, vars)
  }
}

/** Response headers for the client: the upstream's, minus hop-by-hop and cookies. */
export function clientResponseHeaders(
  upstream: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  keepLength: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in upstream) {
    if (name === 'content-length' ? !keepLength : HOP_BY_HOP.has(name)) continue
    if (name === 'set-cookie' || (name === 'content-encoding' && !keepLength)) continue
    const v = upstream[name]
    if (v !== undefined) out[name] = v
  }
  return out
}
