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
 * The path endpoint patterns are matched against (`GroupRuntime.allowsEndpoint`: the channel's
 * inference endpoints and the group's `allowedPaths`). It passed unsafePathProblem, so decoding
 * it cannot make new segments.
 */
export const decodedPath = (path: string) => (path.includes('%') ? decodeURIComponent(path) : path)
