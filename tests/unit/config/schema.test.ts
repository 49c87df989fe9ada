import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig, parseDatabaseDsn } from '../../../server/config/schema'

const bad = (env: Record<string, string>) => {
  try {
    parseConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('configuration from the environment', () => {
  it('uses the contract defaults when nothing is set', () => {
    const c = parseConfig({})
    expect(c).toMatchObject({
      port: 3001, host: '0.0.0.0', dataDir: './data', authKey: '', encryptionKey: '',
      database: { dialect: 'sqlite', file: './data/keygate.db' }, redisUrl: '', maxConcurrentRequests: 1000,
      trustProxy: false, logLevel: 'info', logFormat: 'text', cors: { enabled: false, origins: [] }, shutdownTimeoutSeconds: 30, workers: 1,
      outboundProxy: { http: '', https: '', noProxy: '' },
    })
  })

  it('accepts every variable when valid', () => {
    const c = parseConfig({
      PORT: '8080', HOST: '127.0.0.1', DATA_DIR: '/var/lib/kg', AUTH_KEY: 'admin-secret-1', ENCRYPTION_KEY: 'a-very-long-encryption-key',
      DATABASE_DSN: 'mysql://u:p@db:3306/kg', REDIS_DSN: 'redis://:pw@cache:6379/2', MAX_CONCURRENT_REQUESTS: '50', TRUST_PROXY: 'true',
      LOG_LEVEL: 'DEBUG', LOG_FORMAT: 'json', ENABLE_CORS: '1', ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      SHUTDOWN_TIMEOUT: '5', HTTP_PROXY: 'http://proxy:3128', HTTPS_PROXY: 'http://proxy:3129', NO_PROXY: 'localhost',
    })
    expect(c).toMatchObject({
      port: 8080, host: '127.0.0.1', dataDir: '/var/lib/kg', authKey: 'admin-secret-1', encryptionKey: 'a-very-long-encryption-key',
      database: { dialect: 'mysql', url: 'mysql://u:p@db:3306/kg' }, redisUrl: 'redis://:pw@cache:6379/2', maxConcurrentRequests: 50,
      trustProxy: true, logLevel: 'debug', logFormat: 'json', cors: { enabled: true, origins: ['https://a.example', 'https://b.example'] },
      shutdownTimeoutSeconds: 5, outboundProxy: { http: 'http://proxy:3128', https: 'http://proxy:3129', noProxy: 'localhost' },
    })
  })

  it('keeps AUTH_KEY as a string even when it looks like a number', () => {
    expect(parseConfig({ AUTH_KEY: '12345678' }).authKey).toBe('12345678')
  })

  it('takes WORKERS as a count or auto (the cores available)', () => {
    expect(parseConfig({ WORKERS: '4' }).workers).toBe(4)
    expect(parseConfig({ WORKERS: 'auto' }).workers).toBe(availableParallelism())
  })

  it('honours lower-case proxy variables as curl does', () => {
    expect(parseConfig({ https_proxy: 'http://p:1' }).outboundProxy.https).toBe('http://p:1')
  })

  it.each([
    [{ PORT: '70000' }, 'PORT: must be 1-65535, got "70000"'],
    [{ PORT: '0' }, 'PORT: must be 1-65535'],
    [{ PORT: 'abc' }, 'PORT: must be 1-65535'],
    [{ MAX_CONCURRENT_REQUESTS: '0' }, 'MAX_CONCURRENT_REQUESTS: must be a whole number'],
    [{ MAX_CONCURRENT_REQUESTS: '1.5' }, 'MAX_CONCURRENT_REQUESTS:'],
    [{ SHUTDOWN_TIMEOUT: '-1' }, 'SHUTDOWN_TIMEOUT: must be a number of seconds'],
    [{ WORKERS: '0' }, 'WORKERS: must be auto or a whole number from 1 to 256, got "0"'],
    [{ WORKERS: 'many' }, 'WORKERS: must be auto or a whole number'],
    [{ WORKERS: '2', DATABASE_DSN: 'sqlite://:memory:' }, 'WORKERS: more than one worker needs a database they share'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY: must be true or false, got "maybe"'],
    [{ ENABLE_CORS: 'sure' }, 'ENABLE_CORS: must be true or false'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT: must be text or json, got "xml"'],
    [{ AUTH_KEY: 'short' }, 'AUTH_KEY: must be at least 8 characters'],
    [{ ENCRYPTION_KEY: 'short' }, 'ENCRYPTION_KEY: must be at least 16 characters'],
    [{ DATABASE_DSN: 'pg://u:p@h/db' }, 'DATABASE_DSN: unsupported scheme "pg"'],
    [{ DATABASE_DSN: 'mysql://u:p@h:3306/' }, 'DATABASE_DSN: database name is missing'],
    [{ DATABASE_DSN: 'mysql://u:p@h:3306/kg' }, 'ENCRYPTION_KEY is required when DATABASE_DSN is MySQL'],
    [{ DATABASE_DSN: 'nonsense' }, 'DATABASE_DSN: cannot parse'],
    [{ REDIS_DSN: 'memcached://h:11211' }, 'REDIS_DSN: unsupported scheme "memcached"'],
    [{ REDIS_DSN: 'not a url' }, 'REDIS_DSN: not a valid redis:// URL'],
    [{ HTTP_PROXY: 'socks5://h:1080' }, 'HTTP_PROXY: must be an http:// or https:// URL'],
    [{ HTTPS_PROXY: '::' }, 'HTTPS_PROXY: must be an http:// or https:// URL'],
  ])('refuses %o with one line naming the variable', (env, message) => {
    const m = bad(env as Record<string, string>)
    expect(m).toContain(message)
    expect(m).not.toContain('\n')
  })

  it('never repeats a password from a DSN it cannot parse', () => {
    expect(bad({ DATABASE_DSN: 'user:secret@host' })).not.toContain('secret')
  })
})

describe('DATABASE_DSN forms', () => {
  it('defaults to SQLite in DATA_DIR', () => {
    expect(parseDatabaseDsn('', '/data/')).toEqual({ dialect: 'sqlite', file: '/data/keygate.db' })
  })
  it('accepts GPT-Load\'s Go DSN form', () => {
    expect(parseDatabaseDsn('root:p@ss@tcp(127.0.0.1:3306)/gpt_load?charset=utf8mb4&parseTime=True', '.'))
      .toEqual({ dialect: 'mysql', url: 'mysql://root:p%40ss@127.0.0.1:3306/gpt_load' })
    expect(parseDatabaseDsn('root@tcp(db:3306)/kg', '.')).toEqual({ dialect: 'mysql', url: 'mysql://root@db:3306/kg' })
  })
  it('accepts SQLite file paths', () => {
    expect(parseDatabaseDsn('sqlite:///tmp/x.db', '.')).toEqual({ dialect: 'sqlite', file: '/tmp/x.db' })
    expect(parseDatabaseDsn('./other.sqlite', '.')).toEqual({ dialect: 'sqlite', file: './other.sqlite' })
  })
})
