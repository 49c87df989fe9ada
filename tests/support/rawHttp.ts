import { connect } from 'node:net'

/**
 * A deliberately dumb HTTP/1.1 client for fuzzing: writes exactly the bytes it is given (any
 * path, any header bytes, any body), one request per connection, and parses whatever comes back.
 * Fetch and undici refuse most of what a hostile client sends, which is what must be tested.
 */
export type RawRequest = {
  method: string
  /** Sent as is: may hold anything but CR/LF (which would end the request line). */
  target: string
  headers: [string, string][]
  body?: Buffer | string
  /** Sets content-length from the body (default), or leaves framing to `headers`. */
  autoLength?: boolean
}

export type RawResponse = {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** The connection ended before a complete answer (no status line, or a short body). */
  incomplete: boolean
}

function decodeChunked(buf: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = []
  let i = 0
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', i)
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false }
    const size = Number.parseInt(buf.subarray(i, lineEnd).toString('latin1').split(';')[0]!, 16)
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false }
    if (size === 0) return { body: Buffer.concat(parts), complete: true }
    const start = lineEnd + 2
    if (start + size > buf.length) return { body: Buffer.concat([...parts, buf.subarray(start)]), complete: false }
    parts.push(buf.subarray(start, start + size))
    i = start + size + 2
  }
}

export function parseRawResponse(raw: Buffer): RawResponse {
  // Interim answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 16).toString('latin1'))) {
    const end = raw.indexOf('\r\n\r\n')
    if (end < 0) break
    raw = raw.subarray(end + 4)
  }
  const headEnd = raw.indexOf('\r\n\r\n')
  if (headEnd < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), incomplete: true }
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':')
    if (c > 0) {
      const name = l.slice(0, c).trim().toLowerCase()
      const v = l.slice(c + 1).trim()
      headers[name] = headers[name] === undefined ? v : `${headers[name]}, ${v}`
    }
  }
  const rest = raw.subarray(headEnd + 4)
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const { body, complete } = decodeChunked(rest)
    return { status, headers, body, incomplete: !complete }
  }
  const len = headers['content-length'] === undefined ? null : Number(headers['content-length'])
  if (len !== null) return { status, headers, body: rest.subarray(0, len), incomplete: rest.length < len }
  return { status, headers, body: rest, incomplete: false }
}

/**
 * Sends one request on a fresh connection and reads until the answer is complete or the server
 * closes. No `connection: close`: with it, a server that answers before reading a large body
 * closes a socket with unread bytes, and the kernel's reset destroys the answer in flight.
 */
export function rawRequest(port: number, r: RawRequest, timeoutMs = 15_000): Promise<RawResponse & { timedOut: boolean }> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    let done = false
    const finish = (timedOut: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve({ ...parseRawResponse(Buffer.concat(chunks)), timedOut })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    sock.on('data', (d: Buffer) => {
      chunks.push(d)
      const got = parseRawResponse(Buffer.concat(chunks))
      const bodiless = r.method === 'HEAD' || got.status === 204 || got.status === 304
      const framed = got.headers['content-length'] !== undefined || got.headers['transfer-encoding'] !== undefined
      if (got.status && (bodiless || (framed && !got.incomplete))) finish(false)
    })
    sock.on('end', () => finish(false))
    sock.on('close', () => finish(false))
    sock.on('error', () => finish(false))
    sock.on('connect', () => {
      const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body)
      let head = `${r.method} ${r.target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`
      for (const [k, v] of r.headers) head += `${k}: ${v}\r\n`
      if (r.autoLength !== false && (body.length || r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH')) head += `content-length: ${body.length}\r\n`
      sock.write(Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]))
    })
  })
}
