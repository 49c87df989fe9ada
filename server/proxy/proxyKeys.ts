import type { IncomingHttpHeaders } from 'node:http'
import type { ProxyKeyRow } from '../../shared/types/rows'
import { ProxyError } from './errors'
import { hasCountedLimits } from './limits/consumer'
import { compileAllowlist, type IpCheck } from './limits/ipAllowlist'
import { modelMatcher, restrictsModels, type ModelMatcher } from './models'

/** A consumer key as the engine checks it; `inFlight` counts this instance's open requests. */
export type ProxyKeyRuntime = {
  row: ProxyKeyRow
  allowsModel: ModelMatcher
  /** Whether the key lists its models: then a request that names none is refused. */
  limitsModels: boolean
  /** null: every group. */
  groups: Set<number> | null
  inFlight: number
  /** null: any client address. */
  ipAllowed: IpCheck | null
  /** rpm, tpm or a budget: admission costs a Store call. */
  counted: boolean
}

/** The client's proxy key, in the contract's order: `?key=`, Bearer, x-api-key, x-goog-api-key. */
export function clientCredential(headers: IncomingHttpHeaders, queryKey: string | null): string {
  if (queryKey) return queryKey
  const auth = headers.authorization
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim()
  const x = headers['x-api-key'] ?? headers['x-goog-api-key']
  return (Array.isArray(x) ? x[0] : x)?.trim() ?? ''
}

const SECRET_CACHE_LIMIT = 10_000

export class ProxyKeyTable {
  private byHash = new Map<string, ProxyKeyRuntime>()
  /** Known secrets → key, so a busy client costs one map lookup instead of an HMAC per request. */
  private bySecret = new Map<string, ProxyKeyRuntime>()

  /** Replaces the table, keeping each surviving key's in-flight count. */
  replace(rows: ProxyKeyRow[]) {
    const old = new Map([...this.byHash.values()].map(k => [k.row.id, k]))
    const next = new Map<string, ProxyKeyRuntime>()
    for (const row of rows) {
      next.set(row.keyHash, {
        row,
        allowsModel: modelMatcher(row.models ?? []),
        limitsModels: restrictsModels(row.models),
        groups: row.groupIds?.length ? new Set(row.groupIds) : null,
        inFlight: old.get(row.id)?.inFlight ?? 0,
        ipAllowed: compileAllowlist(row.ipAllowlist),
        counted: hasCountedLimits(row),
      })
    }
    this.byHash = next
    this.bySecret = new Map()
  }

  /** The key with this row id (admin views only: a scan). */
  byRowId(id: number): ProxyKeyRuntime | undefined {
    for (const k of this.byHash.values()) if (k.row.id === id) return k
    return undefined
  }

  /** The key for a secret; only secrets that match a key are remembered (no growth from guesses). */
  find(secret: string, hash: (s: string) => string): ProxyKeyRuntime | undefined {
    let pk = this.bySecret.get(secret)
    if (pk) return pk
    pk = this.byHash.get(hash(secret))
    if (pk) {
      if (this.bySecret.size >= SECRET_CACHE_LIMIT) this.bySecret.clear()
      this.bySecret.set(secret, pk)
    }
    return pk
  }
}

/** 401 unless the key exists and is enabled; 403 once it has expired or from an address its allowlist leaves out. */
export function authenticate(table: ProxyKeyTable, secret: string, hash: (s: string) => string, now: number, ip: string): ProxyKeyRuntime {
  if (!secret) throw new ProxyError(401, 'missing proxy key: send it as a Bearer token, x-api-key, x-goog-api-key or ?key=', 'missing_api_key')
  const pk = table.find(secret, hash)
  if (!pk) throw new ProxyError(401, 'invalid proxy key', 'invalid_api_key')
  if (!pk.row.enabled) throw new ProxyError(401, 'this proxy key is disabled', 'invalid_api_key')
  if (pk.row.expiresAt !== null && pk.row.expiresAt <= now) throw new ProxyError(403, 'this proxy key has expired', 'key_expired')
  if (pk.ipAllowed && !pk.ipAllowed(ip)) throw new ProxyError(403, 'this proxy key may not be used from this address (IP allowlist)', 'ip_not_allowed')
  return pk
}

/**
 * Takes one concurrency slot. A key without its own `maxConcurrency` may hold `defaultShare`
 * slots (PROXY_KEY_MAX_SHARE of MAX_CONCURRENT_REQUESTS), so one key cannot take every slot of
 * the instance. The counted limits (rpm, tpm, budgets) are checked once the body is read
 * (ConsumerLimits.admit). Call `release` when done.
 */
export function admit(pk: ProxyKeyRuntime, defaultShare: number): void {
  const { maxConcurrency } = pk.row
  if (maxConcurrency > 0 && pk.inFlight >= maxConcurrency)
    throw new ProxyError(429, `this proxy key allows ${maxConcurrency} concurrent requests`, 'rate_limit_exceeded', 1)
  if (maxConcurrency <= 0 && pk.inFlight >= defaultShare)
    throw new ProxyError(429, `this proxy key may hold at most ${defaultShare} of the gateway's concurrent requests`, 'rate_limit_exceeded', 1)
  pk.inFlight++
}

export function release(pk: ProxyKeyRuntime) { if (pk.inFlight > 0) pk.inFlight-- }
