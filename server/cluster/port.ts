/**
 * One end of an IPC channel: a cluster worker's `process`, the primary's `Worker`, or a forked
 * ChildProcess all fit. Messages are JSON (Node's default IPC serialisation), so they carry plain
 * data only. Every Keygate message has a `kg` field naming its kind; anything else on the
 * channel is someone else's and left alone.
 */
export interface IpcPort {
  send(message: unknown, callback: (err: Error | null) => void): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
}

export type KgMessage = { kg: string }

export function isKgMessage(m: unknown): m is KgMessage & Record<string, unknown> {
  return typeof m === 'object' && m !== null && typeof (m as KgMessage).kg === 'string'
}

const ignore = () => {}

/**
 * Sends unless the channel is closed (a worker that is exiting): such a message has nobody to
 * read it, and without the callback Node would raise the failure as an unhandled 'error' event.
 */
export function trySend(port: IpcPort, message: unknown): boolean {
  if ((port as { connected?: boolean }).connected === false) return false
  try {
    port.send(message, ignore)
    return true
  } catch {
    return false
  }
}
