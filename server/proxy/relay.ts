import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Readable, Transform } from 'node:stream'
import type { ApiFlavour } from './channels'
import { streamErrorEvent } from './errors'
import { clientResponseHeaders } from './headers'
import type { UsageTap } from './integrations'

export type RelayResult =
  | { kind: 'done' }
  | { kind: 'client-closed' }
  | { kind: 'upstream-error'; error: string }

export type RelayOptions = {
  flavour: ApiFlavour
  stream: boolean
  tap: UsageTap | null
  /** Sits between the upstream and the client (hides the usage chunk we asked for). */
  filter: Transform | null
  onFirstByte: () => void
  /** Aborts the upstream request (the client left). */
  abortUpstream: () => void
  /** Keeps up to this many bytes of the answer for the request log (0: none). */
  captureBytes: number
}

/** Reads an (error) body whole, up to `cap` bytes; the rest is discarded. */
export async function readCapped(body: Readable, cap = 1 << 20): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    if (size < cap) { parts.push(chunk as Buffer); size += (chunk as Buffer).length }
  }
  return Buffer.concat(parts).subarray(0, cap).toString('utf8')
}

/**
 * Streams the upstream answer to the client as it arrives, with backpressure (`pipe` pauses the
 * upstream while the client's socket is full). The usage tap observes the same chunks without
 * holding them. If the client goes away the upstream request is aborted at once; if the
 * upstream dies mid-way a stream ends with an error event in the caller's dialect (a plain
 * answer is cut), so the client never hangs.
 */
export function relayResponse(res: ServerResponse, status: number, headers: IncomingHttpHeaders, body: Readable, o: RelayOptions, captured?: { text: string }): Promise<RelayResult> {
  return new Promise<RelayResult>((resolve) => {
    let settled = false
    const settle = (r: RelayResult) => { if (!settled) { settled = true; resolve(r) } }
    res.writeHead(status, clientResponseHeaders(headers, !o.filter))
    if (o.stream) res.flushHeaders()

    const source: Readable = o.filter ? body.pipe(o.filter) : body
    source.pipe(res)
    let first = true
    let kept = 0
    const parts: Buffer[] | null = o.captureBytes > 0 ? [] : null
    body.on('data', (chunk: Buffer) => {
      if (first) { first = false; o.onFirstByte() }
      o.tap?.push(chunk)
      if (parts && kept < o.captureBytes) { parts.push(chunk); kept += chunk.length }
    })
    const finishCapture = () => { if (parts && captured) captured.text = Buffer.concat(parts).subarray(0, o.captureBytes).toString('utf8') }

    res.on('finish', () => { finishCapture(); settle({ kind: 'done' }) })
    res.on('close', () => {
      if (res.writableFinished) return
      o.abortUpstream()
      finishCapture()
      settle({ kind: 'client-closed' })
    })
    const onUpstreamError = (err: Error) => {
      if (settled || res.destroyed) return
      finishCapture()
      const message = `upstream connection failed mid-response: ${err.message || err.name}`
      body.unpipe()
      if (o.filter) o.filter.unpipe(res)
      if (o.stream) res.end(streamErrorEvent(o.flavour, 'the upstream connection was lost mid-stream'))
      else res.destroy()
      settle({ kind: 'upstream-error', error: message })
    }
    body.on('error', onUpstreamError)
    o.filter?.on('error', onUpstreamError)
  })
}
