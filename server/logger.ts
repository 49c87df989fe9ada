import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'

export type { Logger }

/**
 * `text` is for people (one coloured line per event), `json` for log shippers. Serializers never
 * see upstream keys: callers log masked values only, and `redact` catches header objects.
 */
export function createLogger(level: string, format: 'text' | 'json'): Logger {
  const options = {
    level,
    base: undefined,
    redact: { paths: ['*.authorization', '*.Authorization', '*["x-api-key"]', '*["x-goog-api-key"]', '*.key', '*.authKey'], censor: '[redacted]' },
  }
  if (format === 'json') return pino(options, pino.destination({ sync: false }))
  return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }))
}
