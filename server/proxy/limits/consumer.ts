import type { ProxyKeyRow } from '../../../shared/types/rows'
import type { Logger } from '../../logger'
import type { CounterCheck, Store } from '../../store/types'
import { ProxyError } from '../errors'
import type { ProxyKeyRuntime } from '../proxyKeys'
import { PeriodClock, type PeriodWindow } from './periods'

/** What a proxy key spent since an instant, as the request log has it (to seed budget counters). */
export type Spend = { requests: number; tokens: number; cost: number }

export type ConsumerLimitDeps = {
  store: Store
  /** budget_time_zone in force. */
  timeZone: () => string
  loadSpend: (proxyKeyId: number, since: number) => Promise<Spend>
  log: Logger
}

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
/** Budgets with no period count for the key's whole life; the Store still wants an expiry. */
const LIFETIME_TTL_MS = 10 * 365 * DAY_MS
const SEEDED_LIMIT = 50_000

/** Whether a key has a limit counted in the Store (then a request costs one Store call more). */
export const hasCountedLimits = (r: ProxyKeyRow) => r.rpm > 0 || r.tpm > 0 || r.budgetTokens > 0 || r.budgetCost > 0
export const hasBudget = (r: ProxyKeyRow) => r.budgetTokens > 0 || r.budgetCost > 0

/** Counter names, shared by the admission, the recording and the usage report. */
export const counterKeys = (id: number, minute: number, periodStart: number) => ({
  rpm: `pk-rpm:${id}:${minute}`,
  tpm: `pk-tpm:${id}:${minute}`,
  tokens: `pk-tok:${id}:${periodStart}`,
  cost: `pk-usd:${id}:${periodStart}`,
})

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`

/**
 * A proxy key's rpm, tpm and budgets, all in the Store so they hold across instances:
 * admission is one atomic check-and-increment over the counters the key uses (rpm counted on
 * admission; tpm pre-checked with the request's estimated size; budgets refused once spent), and
 * `record` adds what a finished request actually used. Budget counters are seeded from the
 * request log the first time an instance meets a period, so a restart or a flushed Redis does
 * not hand out a fresh budget.
 */
export class ConsumerLimits {
  readonly clock = new PeriodClock()
  private seeded = new Map<string, Promise<void>>()
  /** Periods whose seeding has finished: the hot path skips the await. */
  private ready = new Set<string>()

  constructor(private readonly deps: ConsumerLimitDeps) {}

  period(row: ProxyKeyRow, now: number): PeriodWindow {
    return this.clock.window(row.budgetPeriod, this.deps.timeZone(), now)
  }

  /** Throws the ProxyError naming the first limit the request would break. */
  async admit(pk: ProxyKeyRuntime, estimatedTokens: number, now: number): Promise<void> {
    const row = pk.row
    const minute = Math.floor(now / MINUTE_MS)
    const win = this.period(row, now)
    const keys = counterKeys(row.id, minute, win.start)
    const budgetTtl = win.end === null ? LIFETIME_TTL_MS : win.end - now + DAY_MS
    if (hasBudget(row) && !this.ready.has(keys.cost)) await this.seed(row, win, keys, budgetTtl)
    const checks: CounterCheck[] = []
    const kinds: ('rpm' | 'tpm' | 'tokens' | 'cost')[] = []
    if (row.rpm > 0) { checks.push({ key: keys.rpm, limit: row.rpm, need: 1, add: 1, ttlMs: MINUTE_MS + 1000 }); kinds.push('rpm') }
    if (row.tpm > 0) {
      // A request bigger than the whole minute's allowance still runs once the minute is empty.
      checks.push({ key: keys.tpm, limit: row.tpm, need: Math.min(Math.max(1, estimatedTokens), row.tpm), add: 0, ttlMs: MINUTE_MS + 1000 })
      kinds.push('tpm')
    }
    if (row.budgetTokens > 0) { checks.push({ key: keys.tokens, limit: row.budgetTokens, need: 0, add: 0, ttlMs: budgetTtl }); kinds.push('tokens') }
    if (row.budgetCost > 0) { checks.push({ key: keys.cost, limit: row.budgetCost, need: 0, add: 0, ttlMs: budgetTtl }); kinds.push('cost') }
    if (!checks.length) return
    let refused: number
    try {
      refused = await this.deps.store.admitCounters(checks)
    } catch (err) {
      // The store is down: limits fail open rather than take the gateway down with it.
      this.deps.log.warn({ err }, 'proxy-key limits could not be checked; request admitted')
      return
    }
    if (refused < 0) return
    const untilMinute = ((minute + 1) * MINUTE_MS - now) / 1000
    const period = row.budgetPeriod === 'none' ? '' : ` this ${row.budgetPeriod}`
    const resets = win.end === null ? '' : ` (it resets at ${new Date(win.end).toISOString()})`
    switch (kinds[refused]) {
      case 'rpm': throw new ProxyError(429, `this proxy key allows ${row.rpm} requests per minute`, 'rate_limit_exceeded', untilMinute)
      case 'tpm': throw new ProxyError(429, `this proxy key allows ${row.tpm} tokens per minute`, 'rate_limit_exceeded', untilMinute)
      case 'tokens': throw new ProxyError(403, `this proxy key has used its budget of ${row.budgetTokens} tokens${period}${resets}`, 'budget_exceeded')
      default: throw new ProxyError(403, `this proxy key has spent its budget of ${usd(row.budgetCost)}${period}${resets}`, 'budget_exceeded')
    }
  }

  /** Adds a finished request's tokens and cost to the key's tpm window and budgets. Never throws. */
  record(row: ProxyKeyRow, tokens: number, cost: number, now: number): void {
    if (!(row.tpm > 0 || hasBudget(row)) || (tokens <= 0 && cost <= 0)) return
    const minute = Math.floor(now / MINUTE_MS)
    const win = this.period(row, now)
    const keys = counterKeys(row.id, minute, win.start)
    const budgetTtl = win.end === null ? LIFETIME_TTL_MS : win.end - now + DAY_MS
    const adds: { key: string; by: number; ttlMs: number }[] = []
    if (row.tpm > 0 && tokens > 0) adds.push({ key: keys.tpm, by: tokens, ttlMs: MINUTE_MS + 1000 })
    if (row.budgetTokens > 0 && tokens > 0) adds.push({ key: keys.tokens, by: tokens, ttlMs: budgetTtl })
    if (row.budgetCost > 0 && cost > 0) adds.push({ key: keys.cost, by: cost, ttlMs: budgetTtl })
    if (adds.length) this.deps.store.addCounters(adds).catch(err => this.deps.log.warn({ err }, 'proxy-key usage could not be counted'))
  }

  /** The key's counters now: this minute's requests and tokens, this period's enforced spend. */
  async counters(row: ProxyKeyRow, now: number): Promise<{ rpm: number; tpm: number; tokens: number; cost: number; period: PeriodWindow }> {
    const win = this.period(row, now)
    const keys = counterKeys(row.id, Math.floor(now / MINUTE_MS), win.start)
    if (hasBudget(row)) await this.seed(row, win, keys, win.end === null ? LIFETIME_TTL_MS : win.end - now + DAY_MS)
    const [rpm, tpm, tokens, cost] = await this.deps.store.readCounters([keys.rpm, keys.tpm, keys.tokens, keys.cost])
    return { rpm: rpm!, tpm: tpm!, tokens: tokens!, cost: cost!, period: win }
  }

  private seed(row: ProxyKeyRow, win: PeriodWindow, keys: ReturnType<typeof counterKeys>, ttlMs: number): Promise<void> {
    const id = keys.cost
    let p = this.seeded.get(id)
    if (p) return p
    if (this.seeded.size >= SEEDED_LIMIT) this.seeded.clear()
    p = (async () => {
      const spent = await this.deps.loadSpend(row.id, win.start)
      // Only where no instance has counted yet: a live counter is never overwritten.
      await this.deps.store.setIfAbsent(keys.tokens, String(spent.tokens), ttlMs)
      await this.deps.store.setIfAbsent(keys.cost, String(spent.cost), ttlMs)
      if (this.ready.size >= SEEDED_LIMIT) this.ready.clear()
      this.ready.add(id)
    })().catch((err) => {
      this.seeded.delete(id)
      this.deps.log.warn({ err }, 'proxy-key budget could not be read from the request log')
    })
    this.seeded.set(id, p)
    return p
  }
}
