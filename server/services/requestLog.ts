import type { Db } from '../../db/client'
import type { Logger } from '../logger'
import { createLogIds } from '../proxy/ids'
import type { RequestLogEntry } from '../proxy/ports'
import { NO_JOURNAL, type LogJournal } from './logJournal'
import { createLogBatchWriter, type LogBatchWriter } from './logWriter'
import type { Metrics } from './metrics'
import type { Settings } from './settings'

export { createLogIds }

/**
 * The request log's in-memory side. The proxy hands over one record per attempt with
 * `record`, which only appends to a bounded array (full: the record is dropped and
 * counted). Once EARLY_WRITE records are waiting they are written without waiting for the timer
 * (but writes start at most every MIN_WRITE_SPACING_MS), and a timer writes whatever is left every
 * `request_log_write_interval_seconds`; each write is split into transactions of at most
 * BATCH_SIZE records, yielding to the event loop between them. Shutdown writes what is left.
 *
 * Why not wait for the timer under load: a record that outlives two young-generation collections
 * (about 0.4 s apart at 1,000 req/s) is promoted to V8's old space, and the old-space collections
 * that later reclaimed a second's worth of records paused the proxy for 15–25 ms (bench/README.md).
 * Written within about 100 ms, records die young. Why not write every record at once: each
 * transaction rewrites the last page of the table and of every index, so under heavy load the
 * spacing lets transactions grow (up to BATCH_SIZE) and the pages written per record shrink.
 */

export type { RequestLogEntry }

export const REQUEST_LOG_CAPACITY = 50_000
/**
 * Records per transaction at most. SQLite writes run on the event loop (5–8 µs a record here), so
 * a full one holds it for a few milliseconds, which only happens under heavy load; MySQL's run on
 * the server and cost a round trip.
 */
const BATCH_SIZE = { sqlite: 1000, mysql: 1000 } as const
/** Waiting records that start a write before the interval is up. */
const EARLY_WRITE = { sqlite: 100, mysql: 1000 } as const
const MIN_WRITE_SPACING_MS = 100
/**
 * A batch the database refused is tried again on each flush; it is dropped (and counted) only
 * after this many attempts spanning RETRY_WINDOW_MS, or at shutdown: a short database outage
 * loses nothing, a long one loses the oldest records rather than growing without bound.
 */
const MAX_BATCH_ATTEMPTS = 5
const RETRY_WINDOW_MS = 60_000

export class RequestLogBuffer {
  private entries: RequestLogEntry[] = []
  /** Taken by the writer and not yet written: still counts against the capacity. */
  private held = 0
  dropped = 0

  constructor(readonly capacity = REQUEST_LOG_CAPACITY, private readonly journal: Pick<LogJournal, 'accepted' | 'settled'> = NO_JOURNAL) {}

  get depth() { return this.entries.length + this.held }

  /** O(1); false when the buffer is full and the entry was dropped. */
  add(entry: RequestLogEntry): boolean {
    if (this.entries.length + this.held >= this.capacity) {
      this.dropped++
      return false
    }
    this.entries.push(entry)
    this.journal.accepted(1)
    if (this.entries.length % this.batchSize === 0) this.batchReady?.()
    return true
  }

  private batchSize = Infinity
  private batchReady: (() => void) | undefined

  /** Calls `ready` each time another `size` entries are waiting (the writer then writes early). */
  onBatch(size: number, ready: (() => void) | undefined) {
    this.batchSize = ready ? size : Infinity
    this.batchReady = ready
  }

  /** Hands every waiting entry to the writer in O(1); they count as held until `release`d. */
  takeAll(): RequestLogEntry[] {
    const all = this.entries
    this.entries = []
    this.held += all.length
    return all
  }

  /** The writer is done with `n` held entries (written, or given up on). */
  release(n: number) {
    this.held -= n
    this.journal.settled(n)
  }

  /** Puts held entries the writer could not get to back in front of the newer ones. */
  putBack(rest: RequestLogEntry[]) {
    this.held -= rest.length
    this.entries = rest.concat(this.entries)
  }
}

export type WriterOptions = { db: Db; log: Logger; buffer: RequestLogBuffer; metrics: Pick<Metrics, 'logsWritten' | 'logsDropped'> }

export class RequestLogWriter {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private retry: { records: RequestLogEntry[]; ids: string[]; attempts: number; since: number } | undefined
  private stopped = false
  private soonQueued = false
  private lastWriteStarted = 0
  private lastErrorLog = 0
  private readonly writeBatch: LogBatchWriter
  private readonly newLogId = createLogIds()

  constructor(private readonly opts: WriterOptions) {
    this.writeBatch = createLogBatchWriter(opts.db)
  }

  /** How many waiting records make the writer write before its interval is up. */
  get earlyWriteAt() { return EARLY_WRITE[this.opts.db.dialect] }

  start(intervalMs: () => number) {
    this.opts.buffer.onBatch(this.earlyWriteAt, () => this.soon())
    const tick = () => {
      this.flush().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, Math.max(100, intervalMs())).unref()
      })
    }
    this.timer = setTimeout(tick, Math.max(100, intervalMs())).unref()
  }

  /** Enough records are waiting: write them outside the request, and not sooner than the spacing allows. */
  private soon() {
    if (this.soonQueued || this.stopped) return
    this.soonQueued = true
    const run = () => { void this.flush().finally(() => { this.soonQueued = false }) }
    const wait = this.lastWriteStarted + MIN_WRITE_SPACING_MS - Date.now()
    if (wait > 0) setTimeout(run, wait).unref()
    else setImmediate(run)
  }

  /** Writes everything buffered now. Flushes never overlap: a second call waits for the first. */
  flush(): Promise<void> {
    this.running = this.running.then(() => this.drain()).catch((err) => { this.opts.log.error({ err }, 'request log flush failed') })
    return this.running
  }

  /** Stops the timer and writes what is left, trying a refused batch again up to its limit. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.opts.buffer.onBatch(0, undefined)
    for (let i = 0; i <= MAX_BATCH_ATTEMPTS && (this.retry || this.opts.buffer.depth); i++) await this.flush()
  }

  private async drain(): Promise<void> {
    this.lastWriteStarted = Date.now()
    const { buffer, db } = this.opts
    if (this.retry) {
      const n = this.retry.records.length
      if (!(await this.write(this.retry.records, this.retry.ids))) return
      buffer.release(n)
    }
    const all = buffer.takeAll()
    const size = BATCH_SIZE[db.dialect]
    for (let i = 0; i < all.length; i += size) {
      if (i > 0) await new Promise(resolve => setImmediate(resolve))
      const records = all.slice(i, i + size)
      if (!(await this.write(records, records.map(e => this.newLogId(e.time))))) {
        // Kept for the next flush (still held); everything after it goes back in the queue.
        buffer.putBack(all.slice(i + size))
        return
      }
      buffer.release(records.length)
    }
  }

  /** Whether the last write failed and its records wait to be tried again (the database refuses writes). */
  get failing() { return this.retry !== undefined }

  /** True when the batch was written (or given up on); false when it should be tried again later. */
  private async write(records: RequestLogEntry[], ids: string[]): Promise<boolean> {
    try {
      await this.writeBatch(records, ids)
      this.opts.metrics.logsWritten(records.length)
      this.retry = undefined
      return true
    } catch (err) {
      const now = Date.now()
      const same = this.retry?.records === records
      const attempts = (same ? this.retry!.attempts : 0) + 1
      const since = same ? this.retry!.since : now
      const giveUp = attempts >= MAX_BATCH_ATTEMPTS && (this.stopped || now - since >= RETRY_WINDOW_MS)
      if (giveUp || now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now
        this.opts.log.error({ err }, `writing ${records.length} request log records failed (attempt ${attempts})${giveUp ? ': dropped' : ''}`)
      }
      if (giveUp) {
        this.opts.buffer.dropped += records.length
        this.opts.metrics.logsDropped(records.length)
        this.retry = undefined
        return true
      }
      this.retry = { records, ids, attempts, since }
      return false
    }
  }
}

export interface RequestLog {
  /**
   * Records one attempt. Never blocks, never throws, O(1). Token metrics are counted here so they
   * match the log exactly.
   */
  record(entry: RequestLogEntry): void
  /** Writes everything buffered now. */
  flush(): Promise<void>
  /** Stops the timer and writes what is left (shutdown). */
  stop(): Promise<void>
  /** Records waiting in memory (taken by a write in progress included). */
  readonly depth: number
  /** Records dropped so far (buffer full, or the database kept refusing them). */
  readonly dropped: number
  /** Whether the database refused the last write (its records wait to be tried again). */
  readonly failing: boolean
}

export type RequestLogDeps = {
  db: Db
  log: Logger
  metrics: Pick<Metrics, 'tokens' | 'logsWritten' | 'logsDropped' | 'observeLogBuffer'>
  settings: Pick<Settings, 'current'>
  capacity?: number
  /** Counts what a crash would lose, for the next start to report (server/services/logJournal.ts). */
  journal?: LogJournal
}

/** The buffer and its writer, writing every `request_log_write_interval_seconds` (and early under load). */
export function createRequestLog(deps: RequestLogDeps): RequestLog {
  const { metrics } = deps
  const buffer = new RequestLogBuffer(deps.capacity, deps.journal)
  const writer = new RequestLogWriter({ db: deps.db, log: deps.log, buffer, metrics })
  metrics.observeLogBuffer(() => buffer.depth)
  writer.start(() => deps.settings.current().request_log_write_interval_seconds * 1000)
  return {
    record(entry) {
      try {
        if (!buffer.add(entry)) {
          metrics.logsDropped(1)
          return
        }
        if (entry.promptTokens || entry.completionTokens || entry.cachedTokens)
          metrics.tokens(entry.groupName, entry.model, entry.promptTokens, entry.completionTokens, entry.cachedTokens)
      } catch { /* a log record must never fail a request */ }
    },
    flush: () => writer.flush(),
    stop: () => writer.stop(),
    get depth() { return buffer.depth },
    get dropped() { return buffer.dropped },
    get failing() { return writer.failing },
  }
}
