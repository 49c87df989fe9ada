import type { Dispatcher } from 'undici'
import { compileEndpoints, type EndpointMatcher } from '../../shared/endpoints'
import { parseStatusRanges, withGroupConfig, type SettingsMap } from '../../shared/settings'
import type { GroupRow, GroupSubGroupRow } from '../../shared/types/rows'
import type { UpstreamDispatchers } from './upstreamPools'
import { channelFor, type Channel } from './channels'
import type { KeyPool } from './keypool/pool'
import { modelMatcher, type ModelMatcher } from './models'
import type { SettingsSource } from './ports'
import type { WrrItem } from './wrr'

export type UpstreamTarget = WrrItem & {
  url: string
  origin: string
  /** The pooled agent for this origin, valid while `agentSettings` is the group's current settings object. */
  agent: Dispatcher | null
  agentSettings: SettingsMap | null
}
/** An aggregate's member group and its weight. */
export type WeightedSubGroup = WrrItem & { group: GroupRuntime }

/** A group as the engine uses it: parsed once per load, shared by every request. */
export type GroupRuntime = {
  row: GroupRow
  channel: Channel
  upstreams: UpstreamTarget[]
  pool: KeyPool
  /** Aggregate groups only. */
  subGroups: WeightedSubGroup[]
  /** Whether the unified routes may send `model` here (before redirects). */
  servesModel: ModelMatcher
  /** Whether the unified routes may send a request that names no model here (`models` has `*`, redirects not strict). */
  servesAnyModel: boolean
  /** Whether a consumer may reach `method path` (decoded) here: the channel's endpoints and the group's `allowedPaths`. */
  allowsEndpoint: EndpointMatcher
  /** Settings with the group's overrides, refreshed when the system settings change. */
  cache: { base: SettingsMap | null; settings: SettingsMap; isFailover: (s: number) => boolean; isBan: (s: number) => boolean }
}

const never = (_status: number) => false

/** The group's effective settings; recomputed only when the system settings object changes. */
export function settingsOf(g: GroupRuntime, source: SettingsSource): GroupRuntime['cache'] {
  const base = source.current()
  if (g.cache.base !== base) {
    const settings = withGroupConfig(base, g.row.config)
    let isFailover: (s: number) => boolean = never
    let isBan: (s: number) => boolean = never
    try { isFailover = parseStatusRanges(settings.failover_status_codes) } catch {}
    try { isBan = settings.ban_status_codes ? parseStatusRanges(settings.ban_status_codes) : never } catch {}
    g.cache = { base, settings, isFailover, isBan }
  }
  return g.cache
}

/** The upstream's keep-alive agent, looked up again only when the settings change. */
export function agentOf(u: UpstreamTarget, settings: SettingsMap, dispatchers: UpstreamDispatchers): Dispatcher {
  if (u.agentSettings !== settings || !u.agent) {
    u.agent = dispatchers.for(u.origin, settings)
    u.agentSettings = settings
  }
  return u.agent
}

function groupServes(row: GroupRow): ModelMatcher {
  const redirected = new Set(Object.keys(row.modelRedirects ?? {}))
  if (row.modelRedirectStrict) return m => redirected.has(m)
  // A group with no `models` is reachable by name (/proxy/{group}) or through an aggregate only.
  const listed = row.models?.length ? modelMatcher(row.models) : () => false
  return m => redirected.has(m) || listed(m)
}

function upstreamsOf(row: GroupRow): UpstreamTarget[] {
  const out: UpstreamTarget[] = []
  for (const u of row.upstreams ?? []) {
    try { out.push({ url: u.url, origin: new URL(u.url).origin, weight: u.weight, current: 0, agent: null, agentSettings: null }) } catch {}
  }
  return out
}

/** Groups by id and name, and the order the unified routes try them in. */
export class GroupRegistry {
  constructor(private readonly settings: SettingsSource) {}

  byId = new Map<number, GroupRuntime>()
  byName = new Map<string, GroupRuntime>()
  /** Enabled groups, best priority first (lower number first, then `sort`, then id). */
  ordered: GroupRuntime[] = []

  /**
   * Rebuilds the group runtimes from rows, keeping each surviving group's key pool (and so its
   * in-memory key states). Returns ids of groups that are new here (their keys need loading).
   */
  replaceGroups(rows: GroupRow[], links: GroupSubGroupRow[], makePool: (groupId: number) => KeyPool): number[] {
    const fresh: number[] = []
    const next = new Map<number, GroupRuntime>()
    for (const row of rows) {
      const old = this.byId.get(row.id)
      let pool = old?.pool
      if (!pool) { pool = makePool(row.id); fresh.push(row.id) }
      const channel = channelFor(row.channel)
      next.set(row.id, {
        row, channel, upstreams: upstreamsOf(row), pool, subGroups: [],
        servesModel: groupServes(row), servesAnyModel: !row.modelRedirectStrict && !!row.models?.includes('*'),
        allowsEndpoint: compileEndpoints([...channel.endpoints, ...row.allowedPaths ?? []]),
        cache: { base: null, settings: this.settings.current(), isFailover: never, isBan: never },
      })
    }
    for (const l of links) {
      const parent = next.get(l.groupId), child = next.get(l.subGroupId)
      if (parent && child && parent.row.type === 'aggregate' && child.row.type !== 'aggregate')
        parent.subGroups.push({ group: child, weight: l.weight, current: 0 })
    }
    this.byId = next
    this.byName = new Map([...next.values()].map(g => [g.row.name, g]))
    this.ordered = [...next.values()].filter(g => g.row.enabled)
      .sort((a, b) => a.row.priority - b.row.priority || a.row.sort - b.row.sort || a.row.id - b.row.id)
    return fresh
  }
}
