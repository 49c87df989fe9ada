import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '../logger'

/**
 * How many request log records a process had accepted but not yet written when it died without
 * shutting down (SIGKILL, out of memory, a crash). Each process keeps a small file,
 * DATA_DIR/log-journal/<host>-<pid>.journal, with two counters at fixed offsets: records accepted
 * into the buffer and records the writer is done with (written, or dropped and counted after the
 * database kept refusing them). Each update is one positional write of 8 bytes into the page
 * cache: it survives the process being killed (the kernel holds the page), not the machine
 * crashing or losing power, which this does not try to cover. A clean shutdown removes the file;
 * the next start reads the files of processes that are gone and logs accepted − written.
 * The count is exact but for a batch whose transaction had committed when the process died
 * before marking it done: those rows are in the database and also reported as lost.
 *
 * The journal is a report, never a reason to fail: a DATA_DIR that cannot be written leaves the
 * process serving without one, and a file that does not read as a journal is set aside with a
 * warning.
 */

export const JOURNAL_DIR = 'log-journal'
const SUFFIX = '.journal'
const MAGIC = Buffer.from('KGLOGJ1\n')
const OFFSET = { pid: 8, accepted: 16, settled: 24, heartbeat: 32 } as const
const FILE_BYTES = 40
/** Counters are written as 48-bit integers (no BigInt on the request path); 2^48 records is far beyond any process's life. */
const COUNTER_BYTES = 6
/**
 * A live process rewrites its heartbeat this often. A journal whose heartbeat is older than
 * STALE_MS belongs to a process that is gone even when its pid now names another process (pids
 * are reused, and a DATA_DIR shared by hosts sees pids of another machine).
 */
const HEARTBEAT_MS = 15_000
const STALE_MS = 10 * 60_000

export interface LogJournal {
  /** `n` records entered the buffer. */
  accepted(n: number): void
  /** The writer is done with `n` records (written, or dropped and counted). */
  settled(n: number): void
  /** Clean shutdown: nothing is left to report, so the file goes. */
  close(): void
}

export const NO_JOURNAL: LogJournal = { accepted() {}, settled() {}, close() {} }

export type JournalEntry = { pid: number; accepted: number; settled: number; heartbeat: number }

/** The journal's contents, or why they are not one (a corrupt, truncated or foreign file). */
export function parseJournal(bytes: Buffer, pid: number): JournalEntry | string {
  if (bytes.length !== FILE_BYTES) return `${bytes.length} bytes, not ${FILE_BYTES}`
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a request log journal'
  const read = (offset: number) => bytes.readUIntLE(offset, COUNTER_BYTES) + bytes.readUInt16LE(offset + COUNTER_BYTES) * 2 ** 48
  const entry = { pid: read(OFFSET.pid), accepted: read(OFFSET.accepted), settled: read(OFFSET.settled), heartbeat: read(OFFSET.heartbeat) }
  if (entry.pid !== pid) return `it names pid ${entry.pid}, its name pid ${pid}`
  if (!Number.isSafeInteger(entry.accepted) || !Number.isSafeInteger(entry.settled) || !Number.isSafeInteger(entry.heartbeat)) return 'counters out of range'
  if (entry.settled > entry.accepted) return `more records written (${entry.settled}) than accepted (${entry.accepted})`
  return entry
}

/** File names carry no separators or dots of their own: the host is the part before the last '-'. */
function hostPart(name: string) { return name.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64) || 'host' }

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false // a container restart gives the new process its predecessor's pid
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export type LostRows = { pid: number; lost: number }

/**
 * Reads the journals of processes that are gone, logs each one's lost records (one warn line per
 * process that lost any) and removes them. Several processes may start at once (WORKERS > 1):
 * whoever removes a file reports it, so each loss is reported once. Never throws.
 */
export function reportLostLogRows(dataDir: string, log: Logger, now = Date.now()): LostRows[] {
  const dir = join(dataDir, JOURNAL_DIR)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`request log journal: cannot read ${dir}: ${(err as Error).message}`)
    return []
  }
  const host = hostPart(hostname())
  const found: LostRows[] = []
  for (const name of names) {
    const m = /^(.+)-(\d{1,10})\.journal$/.exec(name)
    if (!m) continue
    const pid = Number(m[2])
    const file = join(dir, name)
    let bytes: Buffer | string
    try {
      bytes = readHead(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`request log journal: cannot read ${file}: ${(err as Error).message}`)
      continue
    }
    const entry = typeof bytes === 'string' ? bytes : parseJournal(bytes, pid)
    if (typeof entry === 'string') {
      // A live process's file is always whole (it appears by rename): a bad one is nobody's; set it aside once.
      if (claim(file, log)) log.warn(`request log journal: ignored ${file} (${entry})`)
      continue
    }
    const stale = now - entry.heartbeat > STALE_MS
    if (!stale && (m[1] !== host || isAlive(pid))) continue
    if (!claim(file, log)) continue
    const lost = entry.accepted - entry.settled
    if (lost > 0) {
      found.push({ pid, lost })
      log.warn(`request log: ${lost} rows buffered by the previous process (pid ${pid}) were lost when it stopped without shutting down`)
    }
  }
  return found
}

/**
 * At most one byte more than a journal holds, from a regular file only: whatever else sits under
 * that name (a huge file, a FIFO that would block the start, a link) reads as not a journal.
 */
function readHead(file: string): Buffer | string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    if (!fstatSync(fd).isFile()) return 'not a regular file'
    const bytes = Buffer.alloc(FILE_BYTES + 1)
    let n = 0
    for (let got = 1; got > 0 && n < bytes.length; n += got) got = readSync(fd, bytes, n, bytes.length - n, n)
    return bytes.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** Removes a file; true when this process removed it (and so reports it). */
function claim(file: string, log: Logger): boolean {
  try {
    unlinkSync(file)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') log.warn(`request log journal: cannot remove ${file} (${code}); not reporting it`)
    return false
  }
}

/**
 * This process's journal, or one that records nothing when DATA_DIR cannot hold it (read-only,
 * full): the loss would then go unreported, and serving goes on.
 */
export function openLogJournal(dataDir: string, log: Logger): LogJournal {
  const dir = join(dataDir, JOURNAL_DIR)
  const file = join(dir, `${hostPart(hostname())}-${process.pid}${SUFFIX}`)
  const temp = `${file}.${Date.now()}.tmp`
  let fd: number
  try {
    mkdirSync(dir, { recursive: true })
    const header = Buffer.alloc(FILE_BYTES)
    MAGIC.copy(header)
    header.writeUIntLE(process.pid, OFFSET.pid, COUNTER_BYTES)
    header.writeUIntLE(Date.now(), OFFSET.heartbeat, COUNTER_BYTES)
    fd = openSync(temp, 'w+', 0o600)
    writeSync(fd, header, 0, FILE_BYTES, 0)
    // Appears whole under its name: a reader never sees a half-written header.
    renameSync(temp, file)
  } catch (err) {
    log.warn(`request log journal: cannot keep ${file} (${(err as Error).message}); rows a crash loses will not be counted`)
    try { unlinkSync(temp) } catch { /* never created */ }
    return NO_JOURNAL
  }

  let accepted = 0
  let settled = 0
  let failed = false
  // One buffer per counter, reused: an update allocates nothing.
  const acceptedBytes = Buffer.alloc(8)
  const settledBytes = Buffer.alloc(8)
  const heartbeatBytes = Buffer.alloc(8)
  const put = (bytes: Buffer, value: number, offset: number) => {
    if (failed) return
    try {
      bytes.writeUIntLE(value, 0, COUNTER_BYTES)
      writeSync(fd, bytes, 0, 8, offset)
    } catch (err) {
      failed = true
      log.warn(`request log journal: writing ${file} failed (${(err as Error).message}); rows a crash loses will not be counted`)
    }
  }
  const heartbeat = setInterval(() => put(heartbeatBytes, Date.now(), OFFSET.heartbeat), HEARTBEAT_MS).unref()

  return {
    accepted(n) { put(acceptedBytes, accepted += n, OFFSET.accepted) },
    settled(n) { put(settledBytes, settled += n, OFFSET.settled) },
    close() {
      clearInterval(heartbeat)
      // Should the file outlive this (DATA_DIR turned read-only), it reads as nothing lost.
      put(settledBytes, accepted, OFFSET.settled)
      failed = true
      try { closeSync(fd) } catch { /* already closed */ }
      try { unlinkSync(file) } catch { /* gone, or it stays and reads as nothing lost */ }
    },
  }
}
