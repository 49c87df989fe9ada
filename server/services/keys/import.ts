import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { Db } from '../../../db/client'
import { invalid } from '../errors'
import { getGroupRow } from '../groups'
import type { TaskRunner } from '../tasks'
import type { KeyCipher } from './cipher'
import type { KeyStoreDeps } from './rows'

const SEPARATORS = /[\s,;]+/
const MAX_KEY_LENGTH = 1000
/** Keys per transaction; one batch (hash, encrypt, insert) runs in one event-loop turn, so kept short (~50 ms). */
const BATCH = 500
const SQLITE_ROWS_PER_STATEMENT = 100
/** A JSON array in an uploaded file is parsed whole; past this size, use one key per line. */
const MAX_JSON_FILE = 256 * 1024 * 1024

export type ImportResult = { added: number; duplicates: number; invalid: number; total: number }

/** Cleans one token: surrounding quotes go; null for nothing, false for an unusable token. */
function cleanKey(token: string): string | null | false {
  const k = token.trim().replace(/^["'`]+|["'`]+$/g, '')
  if (!k) return null
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point of this check
  if (k.length > MAX_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(k)) return false
  return k
}

/** Text in any separator (newline, comma, space, `;`) or a JSON array of strings → keys in order. */
export function splitKeys(input: string | string[]): { keys: string[]; invalid: number } {
  let tokens: string[]
  if (Array.isArray(input)) tokens = input
  else {
    const s = input.trim()
    if (s.startsWith('[')) {
      let parsed: unknown
      try { parsed = JSON.parse(s) } catch { throw invalid('keys', 'looks like a JSON array but is not valid JSON') }
      if (!Array.isArray(parsed) || parsed.some(v => typeof v !== 'string')) throw invalid('keys', 'a JSON array of keys must contain only strings')
      tokens = parsed as string[]
    } else tokens = s.split(SEPARATORS)
  }
  const keys: string[] = []
  let bad = 0
  for (const tok of tokens) {
    const k = cleanKey(tok)
    if (k === null) continue
    if (k === false) { bad++; continue }
    keys.push(k)
  }
  return { keys, invalid: bad }
}

/** Streams keys out of an uploaded file without holding it in memory (unless it is a JSON array). */
async function* keysFromFile(path: string, onBad: () => void): AsyncGenerator<string[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 })
  let carry = ''
  let first = true
  let json: string[] | null = null
  for await (const chunk of stream as AsyncIterable<string>) {
    if (json) { json.push(chunk); continue }
    let text = carry + chunk
    if (first && text.trim()) {
      first = false
      text = text.replace(/^\uFEFF/, '')
      if (text.trimStart().startsWith('[')) { json = [text]; continue }
    }
    const parts = text.split(SEPARATORS)
    carry = parts.pop() ?? ''
    const keys = collect(parts, onBad)
    for (let i = 0; i < keys.length; i += BATCH) yield keys.slice(i, i + BATCH)
  }
  if (json) {
    const all = json.join('')
    if (all.length > MAX_JSON_FILE) throw new Error('a JSON array file this large is not supported; upload one key per line')
    const r = splitKeys(all)
    for (let i = 0; i < r.invalid; i++) onBad()
    for (let i = 0; i < r.keys.length; i += BATCH) yield r.keys.slice(i, i + BATCH)
    return
  }
  yield collect([carry], onBad)
}

function collect(tokens: string[], onBad: () => void): string[] {
  const out: string[] = []
  for (const tok of tokens) {
    const k = cleanKey(tok)
    if (k === null) continue
    if (k === false) { onBad(); continue }
    out.push(k)
  }
  return out
}

/**
 * Inserts a batch: encrypted, hashed, deduplicated by the (group_id, key_hash) unique index so a
 * key already in the group (or twice in the batch) is skipped. One transaction per batch.
 */
export async function insertKeyBatch(handle: Db, cipher: KeyCipher, groupId: number, keys: string[], notes = ''): Promise<number> {
  if (!keys.length) return 0
  const now = Date.now()
  const byHash = new Map<string, string>()
  for (const k of keys) byHash.set(cipher.hash(k), k)
  // Encryption is the costly step: skip it for keys the group already has (re-imports).
  for (const h of await existingHashes(handle, groupId, [...byHash.keys()])) byHash.delete(h)
  if (!byHash.size) return 0
  const rows: [number, string, string, string, number, number][] = []
  for (const [h, k] of byHash) rows.push([groupId, h, cipher.encrypt(k), notes, now, now])
  if (handle.dialect === 'sqlite') {
    // Multi-row statements: one call into SQLite per 100 keys instead of per key.
    const raw = handle.raw
    const stmtFor = (n: number) => raw.prepare(`INSERT OR IGNORE INTO api_keys (group_id, key_hash, key_ciphertext, notes, status, created_at, updated_at) VALUES ${Array(n).fill(`(?, ?, ?, ?, 'active', ?, ?)`).join(', ')}`)
    const full = stmtFor(SQLITE_ROWS_PER_STATEMENT)
    return raw.transaction(() => {
      let n = 0
      for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_STATEMENT) {
        const part = rows.slice(i, i + SQLITE_ROWS_PER_STATEMENT)
        n += (part.length === SQLITE_ROWS_PER_STATEMENT ? full : stmtFor(part.length)).run(...part.flat()).changes
      }
      return n
    })()
  }
  const [res] = await handle.pool.query(
    `INSERT IGNORE INTO api_keys (group_id, key_hash, key_ciphertext, notes, created_at, updated_at) VALUES ?`, [rows])
  return (res as { affectedRows: number }).affectedRows
}

async function existingHashes(handle: Db, groupId: number, hashes: string[]): Promise<string[]> {
  if (!hashes.length) return []
  const marks = hashes.map(() => '?').join(',')
  const sql = `SELECT key_hash FROM api_keys WHERE group_id = ? AND key_hash IN (${marks})`
  if (handle.dialect === 'sqlite') return (handle.raw.prepare(sql).all(groupId, ...hashes) as { key_hash: string }[]).map(r => r.key_hash)
  const [rows] = await handle.pool.query(sql, [groupId, ...hashes])
  return (rows as { key_hash: string }[]).map(r => r.key_hash)
}

export type KeySource = { text: string | string[] } | { file: string }

/** `POST /api/groups/{id}/keys`: checks the group, then imports in the background as a task. */
export async function startKeyImport(deps: KeyStoreDeps & { tasks: TaskRunner }, groupId: number, source: KeySource, notes = '') {
  const group = await getGroupRow(deps.db, groupId)
  if (group.type === 'aggregate') {
    if ('file' in source) await rm(source.file, { force: true })
    throw invalid('groupId', 'an aggregate group has no keys of its own; add them to its sub-groups')
  }
  // Text is split before answering, so a malformed JSON array is a 400, not a failed task.
  const parsed = 'text' in source ? splitKeys(source.text) : null
  if (parsed && !parsed.keys.length) throw invalid('keys', 'no keys found in the text')
  try {
    return await deps.tasks.start({ type: 'import-keys', groupId, exclusive: true, total: parsed?.keys.length ?? 0 }, async (ctx) => {
      const result: ImportResult = { added: 0, duplicates: 0, invalid: parsed?.invalid ?? 0, total: 0 }
      try {
        const batches = parsed ? chunks(parsed.keys) : keysFromFile((source as { file: string }).file, () => { result.invalid++ })
        for await (const batch of batches) {
          if (ctx.signal.aborted) throw new Error('aborted')
          if (!parsed) ctx.setTotal(result.total + batch.length)
          const added = await insertKeyBatch(deps.db, deps.cipher, groupId, batch, notes)
          result.added += added
          result.total += batch.length
          ctx.advance(batch.length)
          // Let API requests (progress polls) in between batches: SQLite work is synchronous.
          await new Promise(r => setImmediate(r))
        }
      } finally {
        if ('file' in source) await rm(source.file, { force: true })
        if (result.added) await deps.changes.publish({ type: 'keys', groupId })
      }
      result.duplicates = result.total - result.added
      return result
    })
  } catch (err) {
    if ('file' in source) await rm(source.file, { force: true })
    throw err
  }
}

function* chunks(keys: string[]) {
  for (let i = 0; i < keys.length; i += BATCH) yield keys.slice(i, i + BATCH)
}
