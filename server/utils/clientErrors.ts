import { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Requests Node's HTTP parser refuses before any route runs (a header block past 16 KiB, bad
 * framing, a header timeout) get their 4xx, then the connection is closed gracefully. Node's
 * default writes the answer and destroys the socket at once: when the client is still sending a
 * body, the unread bytes make the kernel reset the connection, and the reset usually destroys
 * the answer before the client reads it. Here the socket is half-closed after the answer and
 * what the client still sends is read and dropped, for at most DRAIN_MS and DRAIN_BYTES (a client
 * that never stops sending cannot hold the socket longer).
 */

const DRAIN_MS = 5_000
const DRAIN_BYTES = 64 * 1024 * 1024

const ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
}
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'

/** Sockets already answered: the parser reports every later chunk it is fed as another error. */
const draining = new WeakMap<Socket, number>()

export function answerClientError(err: NodeJS.ErrnoException, socket: Socket) {
  const since = draining.get(socket)
  if (since !== undefined) { if (socket.bytesRead - since > DRAIN_BYTES) socket.destroy(); return }
  if (!socket.writable || socket.bytesWritten > 0 || err.code === 'ECONNRESET') { socket.destroy(); return }
  draining.set(socket, socket.bytesRead)
  // Bytes that still reach JavaScript (when the parser does not read the socket itself) are dropped.
  socket.removeAllListeners('data')
  socket.on('data', () => { if (socket.bytesRead - draining.get(socket)! > DRAIN_BYTES) socket.destroy() })
  socket.on('end', () => socket.destroy())
  socket.setTimeout(0)
  setTimeout(() => socket.destroy(), DRAIN_MS).unref()
  socket.end(ANSWERS[err.code ?? ''] ?? BAD_REQUEST)
}

/**
 * Installs answerClientError on the HTTP server Nitro's node-server entry creates, which this
 * code never gets a reference to: the first server to listen in this process gets it.
 */
export function answerClientErrorsGracefully() {
  const listen = Server.prototype.listen
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    Server.prototype.listen = listen
    if (!this.listenerCount('clientError')) this.on('clientError', answerClientError)
    return (listen as (...a: unknown[]) => Server).apply(this, args)
  } as typeof listen
}
