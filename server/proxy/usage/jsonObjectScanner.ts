/**
 * Finds every `"<key>": { ... }` object in a byte stream without buffering the stream: the bytes
 * between matches are only searched (Buffer#indexOf, native), never copied or decoded. Only the
 * matched object itself is collected (bounded) and handed to `onObject` as text. Framing does not
 * matter, so one scanner serves plain JSON bodies, SSE streams and Gemini's streamed JSON arrays.
 *
 * A key inside a JSON string is escaped (`\"usage\"`), so the quoted key only ever matches a
 * real key (or a string value equal to it, which the `:` / `{` check rejects). The search is for
 * `usage"` and the opening quote is checked separately: `"` is everywhere in JSON, which makes a
 * native search for a needle starting with it several times slower.
 */

const MAX_OBJECT_BYTES = 64 * 1024

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN = 0x7b
const CLOSE = 0x7d
const COLON = 0x3a

/** A key to search for, as the bytes the scanner looks for (made once, shared by every scanner). */
export type ScanKey = { readonly marker: Buffer }
export const scanKey = (key: string): ScanKey => ({ marker: Buffer.from(`${key}"`, 'latin1') })

const enum State { Search, AfterKey, AfterColon, Capture }

function isSpace(b: number) { return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 }

export abstract class JsonObjectScanner {
  private readonly marker: Buffer
  private state = State.Search
  /** The last byte of the previous chunk (-1 before the first). */
  private lastByte = -1
  /** How many leading bytes of the marker the previous chunk ended with. */
  private partial = 0
  /** Whether the byte before that partial marker was the key's opening quote. */
  private partialQuoted = false
  private depth = 0
  private inString = false
  private escaped = false
  private captureParts: Buffer[] = []
  private captured = 0

  /** Called with the text of each complete object found after the key. */
  protected abstract onObject(json: string): void

  /** `key`: from scanKey(), made once per key rather than per scanner. */
  constructor(key: ScanKey) {
    this.marker = key.marker
  }

  push(chunk: Buffer): void {
    this.scan(chunk)
    if (chunk.length) this.lastByte = chunk[chunk.length - 1]!
  }

  private scan(chunk: Buffer): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      switch (this.state) {
        case State.Search: {
          if (this.partial > 0) {
            const rest = this.marker.length - this.partial
            const avail = Math.min(rest, n)
            if (this.matches(chunk, 0, this.partial, avail)) {
              if (avail < rest) { this.partial += avail; return }
              this.partial = 0
              if (this.partialQuoted) {
                i = rest
                this.state = State.AfterKey
                continue
              }
            }
            this.partial = 0
          }
          const at = chunk.indexOf(this.marker, i)
          if (at >= 0) {
            if ((at > 0 ? chunk[at - 1] : this.lastByte) === QUOTE) {
              i = at + this.marker.length
              this.state = State.AfterKey
            } else i = at + 1 // e.g. "xusage": not our key
            continue
          }
          this.partial = this.trailingPrefix(chunk, i)
          if (this.partial > 0) {
            const before = n - this.partial - 1
            this.partialQuoted = (before >= 0 ? chunk[before] : this.lastByte) === QUOTE
          }
          return
        }
        case State.AfterKey: {
          const b = chunk[i]!
          if (isSpace(b)) { i++; continue }
          // Not a key after all (e.g. a string value): resume searching from this byte.
          this.state = b === COLON ? State.AfterColon : State.Search
          if (b === COLON) i++
          continue
        }
        case State.AfterColon: {
          const b = chunk[i]!
          if (isSpace(b)) { i++; continue }
          if (b !== OPEN) { this.state = State.Search; continue }
          this.state = State.Capture
          this.depth = 0
          this.inString = false
          this.escaped = false
          this.captureParts = []
          this.captured = 0
          continue
        }
        case State.Capture: {
          const start = i
          let done = false
          for (; i < n; i++) {
            const b = chunk[i]!
            if (this.inString) {
              if (this.escaped) this.escaped = false
              else if (b === BACKSLASH) this.escaped = true
              else if (b === QUOTE) this.inString = false
            } else if (b === QUOTE) this.inString = true
            else if (b === OPEN) this.depth++
            else if (b === CLOSE && --this.depth === 0) { i++; done = true; break }
          }
          this.captured += i - start
          if (this.captured > MAX_OBJECT_BYTES) { this.reset(); continue }
          this.captureParts.push(chunk.subarray(start, i))
          if (done) {
            const text = (this.captureParts.length === 1 ? this.captureParts[0]! : Buffer.concat(this.captureParts)).toString('utf8')
            this.reset()
            this.onObject(text)
          } else {
            // The object continues in the next chunk. Keep a copy of this (small) part: the
            // producer may reuse the chunk's memory once it has been forwarded.
            this.captureParts[this.captureParts.length - 1] = Buffer.from(this.captureParts[this.captureParts.length - 1]!)
          }
          continue
        }
      }
    }
  }

  private reset() {
    this.state = State.Search
    this.captureParts = []
    this.captured = 0
  }

  /** Length of the longest proper prefix of the marker that `chunk` ends with (from `from` on). */
  private trailingPrefix(chunk: Buffer, from: number): number {
    const n = chunk.length
    const first = this.marker[0]
    for (let k = Math.min(this.marker.length - 1, n - from); k > 0; k--) {
      if (chunk[n - k] === first && this.matches(chunk, n - k, 0, k)) return k
    }
    return 0
  }

  /** Whether `chunk[at, at+len)` equals `marker[from, from+len)`; a plain loop beats a native call for a few bytes. */
  private matches(chunk: Buffer, at: number, from: number, len: number): boolean {
    for (let j = 0; j < len; j++) if (chunk[at + j] !== this.marker[from + j]) return false
    return true
  }
}
