/**
 * Endpoint patterns, `"METHOD /path-pattern"`: the methods and paths a consumer may reach on a
 * group. Each channel lists its inference endpoints this way (server/proxy/channels/<type>/),
 * and a group widens the list with `allowedPaths`. `METHOD` is GET, POST, PUT, PATCH, DELETE or
 * `*` (any; HEAD counts as GET); in the path, `*` matches within one segment (`/v1/models/*`,
 * `/v1beta/models/*:generateContent`) and a last segment `**` matches one or more segments
 * (`/v1/files/**`). Paths are matched percent-decoded.
 */
export type EndpointMatcher = (method: string, path: string) => boolean

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', '*'])
/** RFC 3986 path characters (no `%`: patterns are matched against decoded paths) plus `*`. */
const SEGMENT = /^[A-Za-z0-9\-._~!$&'()+,;=:@*]+$/

/** Why `entry` is not a valid pattern, or null when it is. */
export function endpointPatternProblem(entry: string): string | null {
  const m = /^(\S+) (\/\S*)$/.exec(entry)
  if (!m) return 'must be "METHOD /path", e.g. "POST /v1/files"'
  if (!METHODS.has(m[1]!)) return 'the method must be GET, POST, PUT, PATCH, DELETE or *'
  const segments = m[2]!.slice(1).split('/')
  for (const [i, s] of segments.entries()) {
    if (!s) return 'the path must not have empty segments'
    if (s === '.' || s === '..') return 'the path must not have . or .. segments'
    if (s.includes('**') && (s !== '**' || i !== segments.length - 1)) return '** may only be the whole last segment'
    if (!SEGMENT.test(s)) return 'the path may contain only URL path characters and *'
  }
  return null
}

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')

function patternSource(path: string): string {
  return path.slice(1).split('/').map(s => (s === '**' ? '(?:/[^/]+)+' : `/${escape(s).replace(/\*/g, '[^/]*')}`)).join('')
}

/** One matcher for a list of valid patterns (invalid ones are skipped: the schema refuses them). */
export function compileEndpoints(entries: readonly string[]): EndpointMatcher {
  const byMethod = new Map<string, string[]>()
  for (const e of entries) {
    if (endpointPatternProblem(e)) continue
    const [method, path] = e.split(' ') as [string, string]
    byMethod.set(method, [...byMethod.get(method) ?? [], patternSource(path)])
  }
  const compiled = new Map([...byMethod].map(([m, sources]) => [m, new RegExp(`^(?:${sources.join('|')})$`)]))
  const any = compiled.get('*')
  return (method, path) => {
    const re = compiled.get(method === 'HEAD' ? 'GET' : method)
    return (re?.test(path) ?? false) || (any?.test(path) ?? false)
  }
}
