import type { GroupRuntime } from './registry'

/**
 * Why a request path is refused before anything else, or null. Dot segments (also as `%2e`) and
 * encoded slashes or backslashes could make the upstream resolve a path other than the one the
 * endpoint lists allowed; no SDK sends them.
 */
export function unsafePathProblem(pathname: string): string | null {
  // Every SDK's paths: nothing encoded, no dot segment. Checked without allocating (every request).
  if (!pathname.includes('%') && !pathname.includes('/.') && !pathname.includes('\\')) return null
  if (/%2f|%5c|\\/i.test(pathname)) return 'encoded slashes and backslashes are not allowed in the path'
  for (const segment of pathname.split('/')) {
    const s = segment.replace(/%2e/gi, '.')
    if (s === '.' || s === '..') return 'dot segments are not allowed in the path'
  }
  try { decodeURIComponent(pathname) } catch { return 'the path is not valid percent-encoding' }
  return null
}

/**
 * The candidates that serve `method path` (their channel's inference endpoints, or the group's
 * `allowedPaths`). `path` passed unsafePathProblem, so decoding it cannot make new segments.
 */
export function groupsServingEndpoint(candidates: GroupRuntime[], method: string, path: string): GroupRuntime[] {
  const decoded = decodedPath(path)
  return candidates.filter(g => g.allowsEndpoint(method, decoded))
}

/** Whether `group` serves `method path` (the one-group form of groupsServingEndpoint). */
export function groupServesEndpoint(group: GroupRuntime, method: string, path: string): boolean {
  return group.allowsEndpoint(method, decodedPath(path))
}

const decodedPath = (path: string) => (path.includes('%') ? decodeURIComponent(path) : path)
