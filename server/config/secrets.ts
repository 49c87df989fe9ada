import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './schema'
import { ConfigError } from './schema'

export type GeneratedSecrets = { authKey: string; encryptionKey: string; generatedAuthKey: boolean }

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim()
    if (value) return { value, created: false }
  }
  const value = make()
  // 'wx' fails if another process created it between the check and here: then read theirs.
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { value: readFileSync(file, 'utf8').trim(), created: false }
    throw err
  }
  chmodSync(file, 0o600)
  return { value, created: true }
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
    const r = readOrCreate(join(config.dataDir, 'auth-key'), () => `kg-admin-${randomBytes(24).toString('base64url')}`)
    authKey = r.value
    generatedAuthKey = r.created
  }
  let encryptionKey = config.encryptionKey
  if (!encryptionKey) {
    if (config.database.dialect === 'mysql') throw new ConfigError('ENCRYPTION_KEY is required when DATABASE_DSN is MySQL')
    encryptionKey = readOrCreate(join(config.dataDir, 'encryption-key'), () => randomBytes(32).toString('base64url')).value
  }
  return { authKey, encryptionKey, generatedAuthKey }
}
