import { randomBytes } from 'node:crypto'
import { closeSync, constants, copyFileSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './schema'
import { ConfigError } from './schema'

export type GeneratedSecrets = { authKey: string; encryptionKey: string; generatedAuthKey: boolean }

/** The shortest value accepted from a secrets file: the same floor as AUTH_KEY / ENCRYPTION_KEY. */
const MIN_LENGTH = { 'auth-key': 8, 'encryption-key': 16 } as const
type SecretName = keyof typeof MIN_LENGTH

/** How long a start waits for a secrets file that exists but is still empty (another start writing it). */
const EMPTY_FILE_GRACE_MS = 2_000

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const code = (err: unknown) => (err as NodeJS.ErrnoException).code

/** What to do about a bad file, said in the error. */
const REMEDY: Record<SecretName, string> = {
  'auth-key': 'delete it to generate a new admin key, or set AUTH_KEY',
  'encryption-key': 'restore it from a backup (the stored keys are encrypted with it), or set ENCRYPTION_KEY',
}

/**
 * Reads an existing secrets file: undefined when there is none. An empty file is waited on for a
 * moment (a start on a filesystem without hard links may be copying it in), then refused, as is
 * one shorter than the floor: an empty admin key would let an empty bearer in.
 */
function readExisting(file: string, name: SecretName): string | undefined {
  const deadline = Date.now() + EMPTY_FILE_GRACE_MS
  for (;;) {
    let text: string
    try { text = readFileSync(file, 'utf8') } catch (err) {
      if (code(err) === 'ENOENT') return undefined
      throw new ConfigError(`DATA_DIR/${name}: cannot read ${file}: ${(err as Error).message}`)
    }
    const value = text.trim()
    if (value.length >= MIN_LENGTH[name]) return value
    if (value === '' && Date.now() < deadline) { sleepSync(50); continue }
    const what = value === '' ? 'is empty' : `is shorter than ${MIN_LENGTH[name]} characters`
    throw new ConfigError(`DATA_DIR/${name}: ${what} (${file}); ${REMEDY[name]}`)
  }
}

/**
 * Creates the file whole or not at all: the value goes to a private temporary file (0600,
 * fsynced) that is then hard-linked to the final name. The link fails when the name exists, so of
 * two starts racing on an empty DATA_DIR exactly one creates it and the other reads that one's
 * complete file. Where hard links are not supported, an exclusive copy stands in (a reader may
 * then briefly see it empty: readExisting waits for it).
 */
function createExclusively(file: string, dir: string, name: SecretName, value: string): boolean {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${value}\n`)
    fsyncSync(fd)
  } finally { closeSync(fd) }
  try {
    try { linkSync(tmp, file) } catch (err) {
      if (code(err) === 'EEXIST') return false
      try { copyFileSync(tmp, file, constants.COPYFILE_EXCL) } catch (copyErr) {
        if (code(copyErr) === 'EEXIST') return false
        throw copyErr
      }
    }
    return true
  } finally { unlinkSync(tmp) }
}

function readOrCreate(dir: string, name: SecretName, make: () => string): { value: string; created: boolean } {
  const file = join(dir, name)
  const existing = readExisting(file, name)
  if (existing !== undefined) return { value: existing, created: false }
  const value = make()
  let created: boolean
  try { created = createExclusively(file, dir, name, value) } catch (err) {
    throw new ConfigError(`DATA_DIR/${name}: cannot write ${file}: ${(err as Error).message}`)
  }
  if (created) return { value, created }
  const theirs = readExisting(file, name)
  if (theirs === undefined) throw new ConfigError(`DATA_DIR/${name}: ${file} disappeared while starting`)
  return { value: theirs, created: false }
}

/**
 * Fills AUTH_KEY and ENCRYPTION_KEY from DATA_DIR when unset, generating them on first start.
 * Generated values are written once with mode 0600 and reused by every later start.
 */
export function resolveSecrets(config: Config): GeneratedSecrets {
  try { mkdirSync(config.dataDir, { recursive: true }) } catch (err) {
    throw new ConfigError(`DATA_DIR: cannot create "${config.dataDir}": ${(err as Error).message}`)
  }
  let authKey = config.authKey
  let generatedAuthKey = false
  if (!authKey) {
    const r = readOrCreate(config.dataDir, 'auth-key', () => `kg-admin-${randomBytes(24).toString('base64url')}`)
    authKey = r.value
    generatedAuthKey = r.created
  }
  let encryptionKey = config.encryptionKey
  if (!encryptionKey) {
    if (config.database.dialect === 'mysql') throw new ConfigError('ENCRYPTION_KEY is required when DATABASE_DSN is MySQL')
    encryptionKey = readOrCreate(config.dataDir, 'encryption-key', () => randomBytes(32).toString('base64url')).value
  }
  return { authKey, encryptionKey, generatedAuthKey }
}
