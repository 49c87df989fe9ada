import { randomBytes } from 'node:crypto'

/**
 * A source of sortable ids: 9 base-36 digits of time, a sequence, and a random tag of this
 * source (one per source, so two sources in one process never make the same id). Request-log
 * rows and client requests (the id all attempts of one request share) both take theirs here.
 */
export function createLogIds(): (time: number) => string {
  const tag = randomBytes(6).readUIntBE(0, 6).toString(36).padStart(10, '0').slice(0, 8)
  let sequence = 0
  return (time) => {
    sequence = (sequence + 1) % 1_679_616 // 36^4
    return time.toString(36).padStart(9, '0') + sequence.toString(36).padStart(4, '0') + tag
  }
}
