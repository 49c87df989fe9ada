import type { StatsRange, UsageTotals } from '../schemas/logs'
import type { KeyStatus, RequestLogRow } from './rows'

/** What the console reads from the log and stats endpoints (the server's answers are checked against these). */
export type LogSummary = Omit<RequestLogRow, 'requestBody' | 'responseBody'>
export type LogPage = { items: LogSummary[]; total: number; totalExact: boolean; nextCursor: string | null }

export type KeyCounts = Record<KeyStatus, number> & { total: number }

export type PeriodFigures = UsageTotals & {
  retries: number
  errorRate: number | null
  ttftP50: number | null
  ttftP95: number | null
  ttftSamples: number
  from: number
  to: number
}

export type Overview = {
  groups: number
  proxyKeys: number
  keys: KeyCounts
  last24h: UsageTotals & { successRate: number | null }
  previous24h: UsageTotals
  requestsLastMinute: number
  range: StatsRange
  current: PeriodFigures
  previous: PeriodFigures
  rpm: { now: number; previous: number }
  time: number
}

export type SeriesPoint = {
  time: number
  requests: number
  failures: number
  retries: number
  promptTokens: number
  completionTokens: number
  cachedTokens: number
}
export type Series = { range: StatsRange; groupId: number | null; step: number; points: SeriesPoint[] }

export type TopItem = { id: number | null; name: string; requests: number; failures: number; tokens: number }
export type TopLists = { range: StatsRange; from: number; groups: TopItem[]; models: TopItem[]; proxyKeys: TopItem[] }

export type KeyEvent = {
  keyId: number
  groupId: number
  groupName: string
  masked: string
  status: KeyStatus
  lastError: string | null
  cooldownUntil: number | null
  consecutiveFailures: number
  changedAt: number
}
export type KeyEventFeed = { items: KeyEvent[]; time: number }
