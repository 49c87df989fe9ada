import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { JOURNAL_DIR, openLogJournal, parseJournal, reportLostLogRows } from '../../../server/services/logJournal'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

function dataDir() {
  const d = mkdtempSync(join(tmpdir(), 'keygate-journal-'))
  dirs.push(d)
  return d
}

/** A logger whose warn lines land in `lines`. */
function capture() {
  const lines: string[] = []
  const log = pino({ level: 'warn' }, { write(s: string) { lines.push(JSON.parse(s).msg) } })
  return { log, lines }
}

const journalFiles = (d: string) => readdirSync(join(d, JOURNAL_DIR))
/** This host's name as the journal spells it in file names. */
const host = hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64) || 'host'

describe('request log journal', () => {
  it('reports what a process accepted but never wrote, once, and removes its journal', () => {
    const d = dataDir()
    const { log, lines } = capture()
    const journal = openLogJournal(d, log)
    journal.accepted(1)
    journal.accepted(1)
    journal.accepted(3)
    journal.settled(2)
    // Not closed: as if the process were killed here. A start in this very process reads it as
    // its predecessor's (a restarted container's first process often has the same pid).
    expect(reportLostLogRows(d, log)).toEqual([{ pid: process.pid, lost: 3 }])
    expect(lines).toEqual([`request log: 3 rows buffered by the previous process (pid ${process.pid}) were lost when it stopped without shutting down`])
    expect(journalFiles(d)).toEqual([])
    expect(reportLostLogRows(d, log)).toEqual([])
    expect(lines).toHaveLength(1)
    journal.close()
  })

  it('leaves nothing to report after a clean close, and says nothing when nothing was lost', () => {
    const d = dataDir()
    const { log, lines } = capture()
    const closed = openLogJournal(d, log)
    closed.accepted(4)
    closed.settled(4)
    closed.close()
    expect(journalFiles(d)).toEqual([])
    const idle = openLogJournal(d, log)
    idle.accepted(2)
    idle.settled(2)
    expect(reportLostLogRows(d, log)).toEqual([])
    expect(lines).toEqual([])
    idle.close()
  })

  it('skips the journal of a live process on this host, and reports one whose process is gone', () => {
    const d = dataDir()
    const { log, lines } = capture()
    const journal = openLogJournal(d, log)
    journal.accepted(7)
    const mine = join(d, JOURNAL_DIR, `${host}-${process.pid}.journal`)
    const bytes = readFileSync(mine)
    journal.close()
    const asPid = (pid: number) => {
      const b = Buffer.from(bytes)
      b.writeUIntLE(pid, 8, 6)
      writeFileSync(join(d, JOURNAL_DIR, `${host}-${pid}.journal`), b)
    }
    const live = process.ppid
    // A process that has exited: its pid names nobody now.
    const gone = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString())
    asPid(live)
    asPid(gone)
    expect(reportLostLogRows(d, log)).toEqual([{ pid: gone, lost: 7 }])
    expect(journalFiles(d)).toEqual([`${host}-${live}.journal`])
    expect(lines).toHaveLength(1)
  })

  it('sets corrupt, truncated and foreign files aside with a warning and never throws', () => {
    const d = dataDir()
    const { log, lines } = capture()
    const dir = join(d, JOURNAL_DIR)
    mkdirSync(dir)
    const good = openLogJournal(d, log)
    good.accepted(2)
    const whole = readFileSync(join(dir, `${host}-${process.pid}.journal`))
    good.close()
    writeFileSync(join(dir, 'h-101.journal'), whole.subarray(0, 20))
    writeFileSync(join(dir, 'h-102.journal'), Buffer.concat([whole, Buffer.alloc(1)]))
    writeFileSync(join(dir, 'h-103.journal'), Buffer.alloc(whole.length, 0x41))
    const other = Buffer.from(whole)
    other.writeUIntLE(99, 8, 6)
    writeFileSync(join(dir, 'h-104.journal'), other)
    const backwards = Buffer.from(whole)
    backwards.writeUIntLE(105, 8, 6)
    backwards.writeUIntLE(1, 16, 6)
    backwards.writeUIntLE(5, 24, 6)
    writeFileSync(join(dir, 'h-105.journal'), backwards)
    mkdirSync(join(dir, 'h-106.journal'))
    execFileSync('mkfifo', [join(dir, 'h-107.journal')])
    writeFileSync(join(dir, 'notes.txt'), 'left alone')
    expect(reportLostLogRows(d, log)).toEqual([])
    expect(lines.filter(l => l.startsWith('request log journal: ignored'))).toHaveLength(6)
    expect(lines.some(l => l.includes('h-106.journal') && l.includes('cannot'))).toBe(true)
    expect(lines.some(l => l.includes('(not a regular file)'))).toBe(true)
    expect(lines.join('\n')).toMatch(/names pid 99/)
    expect(lines.join('\n')).toMatch(/more records written \(5\) than accepted \(1\)/)
    expect(journalFiles(d).sort()).toEqual(['h-106.journal', 'notes.txt'])
  })

  it('keeps serving without a journal where DATA_DIR cannot hold one', () => {
    const d = dataDir()
    const { log, lines } = capture()
    writeFileSync(join(d, JOURNAL_DIR), 'a file where the directory should be')
    const journal = openLogJournal(d, log)
    journal.accepted(1)
    journal.settled(1)
    journal.close()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/cannot keep .*rows a crash loses will not be counted/)
    expect(reportLostLogRows(d, log)).toEqual([])
  })

  it('parses only whole journals', () => {
    expect(parseJournal(Buffer.alloc(3), 1)).toMatch(/3 bytes/)
  })
})
