import { availableParallelism } from 'node:os'
import { z } from 'zod'

/** Thrown for a bad environment; `message` is the one line printed before exiting with code 1. */
export class ConfigError extends Error {}

export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'mysql'; url: string }

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['0', 'false', 'no', 'off', ''])

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback
      const s = v.trim().toLowerCase()
      if (TRUE.has(s)) return true
      if (FALSE.has(s)) return false
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` })
      return z.NEVER
    })

const int = (fallback: number, min: number, max: number, what = `${min}-${max}`) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback
      const n = Number(v.trim())
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be ${what}, got "${v}"` })
        return z.NEVER
      }
      return n
    })

/** A fraction in (0, 1]. */
const share = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback
      const n = Number(v.trim())
      if (!Number.isFinite(n) || n <= 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: `must be a number above 0 and at most 1, got "${v}"` })
        return z.NEVER
      }
      return n
    })

/**
 * A secret from the environment: unset means "use or generate the file"; set, it must be long
 * enough. Set but empty is refused rather than taken for unset: the operator meant to give one.
 */
const secret = (min: number, file: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return ''
      const s = v.trim()
      if (s === '') { ctx.addIssue({ code: 'custom', message: `is empty (unset it to use or generate ${file})` }); return z.NEVER }
      if (s.length < min) { ctx.addIssue({ code: 'custom', message: `must be at least ${min} characters` }); return z.NEVER }
      return s
    })

const text = (fallback = '') => z.string().optional().transform(v => (v ?? '').trim() || fallback)

/**
 * Parses a DSN into a database target. Accepts `mysql://…`, GPT-Load's Go form
 * `user:pass@tcp(host:port)/db?params`, and `sqlite:` paths / files.
 */
export function parseDatabaseDsn(dsn: string, dataDir: string): DatabaseTarget {
  const s = dsn.trim()
  if (!s) return { dialect: 'sqlite', file: `${dataDir.replace(/\/$/, '')}/keygate.db` }
  const go = /^([^:/]*)(?::(.*))?@tcp\(([^)]+)\)\/([^?]*)(?:\?.*)?$/.exec(s)
  if (go) {
    const [, user, pass, hostPort, db] = go
    if (!db) throw new ConfigError('DATABASE_DSN: database name is missing')
    const auth = `${encodeURIComponent(user!)}${pass !== undefined ? `:${encodeURIComponent(pass)}` : ''}`
    return { dialect: 'mysql', url: `mysql://${auth}@${hostPort}/${db}` }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s)?.[1]?.toLowerCase()
  if (scheme === 'mysql') {
    let u: URL
    try { u = new URL(s) } catch { throw new ConfigError('DATABASE_DSN: not a valid mysql:// URL') }
    if (!u.hostname) throw new ConfigError('DATABASE_DSN: host is missing')
    if (u.pathname.replace(/^\//, '') === '') throw new ConfigError('DATABASE_DSN: database name is missing')
    return { dialect: 'mysql', url: s }
  }
  if (scheme === 'sqlite' || scheme === 'file') return { dialect: 'sqlite', file: s.replace(/^(sqlite|file):(\/\/)?/i, '') }
  if (scheme) throw new ConfigError(`DATABASE_DSN: unsupported scheme "${scheme}" (use mysql://user:pass@host:3306/db, or leave empty for SQLite)`)
  if (/\.(db|sqlite3?)$/i.test(s)) return { dialect: 'sqlite', file: s }
  throw new ConfigError(`DATABASE_DSN: cannot parse "${s.replace(/:[^@/]*@/, ':***@')}" (use mysql://user:pass@host:3306/db)`)
}

function parseRedisDsn(v: string): string {
  if (!v) return ''
  let u: URL
  try { u = new URL(v) } catch { throw new ConfigError('REDIS_DSN: not a valid redis:// URL') }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`REDIS_DSN: unsupported scheme "${u.protocol.replace(':', '')}" (use redis://[:pass@]host:6379/0)`)
  if (!u.hostname) throw new ConfigError('REDIS_DSN: host is missing')
  return v
}

function parseProxyUrl(name: string, v: string): string {
  if (!v) return ''
  try {
    const u = new URL(v)
    if (!['http:', 'https:'].includes(u.protocol)) throw new Error()
  } catch { throw new ConfigError(`${name}: must be an http:// or https:// URL`) }
  return v
}

/** `1`, a count, or `auto` (the cores this process may use). */
const workers = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? '').trim().toLowerCase()
      if (s === '') return 1
      if (s === 'auto') return Math.max(1, availableParallelism())
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1 || n > 256) {
        ctx.addIssue({ code: 'custom', message: `must be auto or a whole number from 1 to 256, got "${v}"` })
        return z.NEVER
      }
      return n
    })

const EnvSchema = z.object({
  PORT: int(3001, 1, 65535),
  HOST: text('0.0.0.0'),
  DATA_DIR: text('./data'),
  AUTH_KEY: secret(8, 'DATA_DIR/auth-key'),
  ENCRYPTION_KEY: secret(16, 'DATA_DIR/encryption-key'),
  DATABASE_DSN: text(),
  REDIS_DSN: text(),
  REDIS_KEY_PREFIX: text('keygate:'),
  MAX_CONCURRENT_REQUESTS: int(1000, 1, 1_000_000, 'a whole number from 1 to 1000000'),
  MAX_REQUEST_BODY_MB: int(32, 1, 1024, 'a whole number of megabytes from 1 to 1024'),
  REQUEST_BODY_TIMEOUT: int(30, 1, 3600, 'a number of seconds from 1 to 3600'),
  MAX_BUFFERED_BODY_MB: int(256, 1, 1_048_576, 'a whole number of megabytes from 1 to 1048576'),
  PROXY_KEY_MAX_SHARE: share(0.5),
  TRUST_PROXY: bool(false),
  LOG_LEVEL: z.string().optional().transform((v, ctx) => {
    const s = (v ?? '').trim().toLowerCase() || 'info'
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']
    if (s === 'warning') return 'warn'
    if (!levels.includes(s)) { ctx.addIssue({ code: 'custom', message: `must be one of ${levels.join(', ')}, got "${v}"` }); return z.NEVER }
    return s as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
  }),
  LOG_FORMAT: z.string().optional().transform((v, ctx) => {
    const s = (v ?? '').trim().toLowerCase() || 'text'
    if (s !== 'text' && s !== 'json') { ctx.addIssue({ code: 'custom', message: `must be text or json, got "${v}"` }); return z.NEVER }
    return s as 'text' | 'json'
  }),
  ENABLE_CORS: bool(false),
  ALLOWED_ORIGINS: z.string().optional().transform(v => (v ?? '').split(',').map(s => s.trim()).filter(Boolean)),
  SHUTDOWN_TIMEOUT: int(30, 0, 3600, 'a number of seconds from 0 to 3600'),
  WORKERS: workers(),
  HTTP_PROXY: text(),
  HTTPS_PROXY: text(),
  NO_PROXY: text(),
})

export type Config = {
  port: number
  host: string
  dataDir: string
  authKey: string
  encryptionKey: string
  database: DatabaseTarget
  redisUrl: string
  /** Prefix of every Redis key and channel, so deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string
  maxConcurrentRequests: number
  /** Largest proxy request body accepted (413 past it). */
  maxRequestBodyBytes: number
  /** Time a proxy request's body may take to arrive (408 past it). */
  requestBodyTimeoutMs: number
  /** Proxy request bodies held in memory across the requests in flight (503 past it). */
  maxBufferedBodyBytes: number
  /** Share of maxConcurrentRequests one proxy key without its own maxConcurrency may hold (429 past it). */
  proxyKeyMaxShare: number
  trustProxy: boolean
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
  logFormat: 'text' | 'json'
  cors: { enabled: boolean; origins: string[] }
  shutdownTimeoutSeconds: number
  /** Worker processes serving the port (WORKERS); above 1 a coordinating primary process forks them. */
  workers: number
  outboundProxy: { http: string; https: string; noProxy: string }
}

/** Reads the process environment once. Lower-case proxy variables are honoured as curl does. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const raw = {
    ...env,
    HTTP_PROXY: env.HTTP_PROXY ?? env.http_proxy,
    HTTPS_PROXY: env.HTTPS_PROXY ?? env.https_proxy,
    NO_PROXY: env.NO_PROXY ?? env.no_proxy,
  }
  const r = EnvSchema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`)
  }
  const e = r.data
  const database = parseDatabaseDsn(e.DATABASE_DSN, e.DATA_DIR)
  if (database.dialect === 'mysql' && !e.ENCRYPTION_KEY)
    throw new ConfigError('ENCRYPTION_KEY is required when DATABASE_DSN is MySQL (instances sharing a database must share it)')
  // Each worker opens the database itself: an in-memory one would be a separate database per worker.
  if (e.WORKERS > 1 && database.dialect === 'sqlite' && database.file === ':memory:')
    throw new ConfigError('WORKERS: more than one worker needs a database they share; an in-memory SQLite database is one per process')
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    authKey: e.AUTH_KEY,
    encryptionKey: e.ENCRYPTION_KEY,
    database,
    redisUrl: parseRedisDsn(e.REDIS_DSN),
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    maxConcurrentRequests: e.MAX_CONCURRENT_REQUESTS,
    maxRequestBodyBytes: e.MAX_REQUEST_BODY_MB * 1024 * 1024,
    requestBodyTimeoutMs: e.REQUEST_BODY_TIMEOUT * 1000,
    maxBufferedBodyBytes: e.MAX_BUFFERED_BODY_MB * 1024 * 1024,
    proxyKeyMaxShare: e.PROXY_KEY_MAX_SHARE,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    cors: { enabled: e.ENABLE_CORS, origins: e.ALLOWED_ORIGINS },
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT,
    workers: e.WORKERS,
    outboundProxy: {
      http: parseProxyUrl('HTTP_PROXY', e.HTTP_PROXY),
      https: parseProxyUrl('HTTPS_PROXY', e.HTTPS_PROXY),
      noProxy: e.NO_PROXY,
    },
  }
}
