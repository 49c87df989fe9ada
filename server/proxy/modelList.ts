import type { Channel } from './channels'
import { formatOf } from './formats'
import { listableModels } from './models'
import type { ProxyKeyRuntime } from './proxyKeys'
import type { GroupRuntime } from './registry'

/** Model lists of the APIs whose generation calls can be converted to other groups' APIs. */
const CONVERTIBLE_LISTS = new Set(['/v1/models', '/v1beta/models'])

/**
 * Every model name the key may reach through groups of `channels`, after redirects, sorted; with
 * the groups of other APIs that accept conversions when `path` is a convertible API's list.
 */
export function reachableModels(groups: readonly GroupRuntime[], pk: ProxyKeyRuntime, channels: readonly Channel[], path = ''): string[] {
  const out = new Set<string>()
  const converted = CONVERTIBLE_LISTS.has(path)
  for (const g of groups) {
    if (!channels.includes(g.channel) && !(converted && g.row.acceptsConversions && formatOf(g.channel.type))) continue
    if (pk.groups && !pk.groups.has(g.row.id)) continue
    for (const m of listableModels(g.row.models ?? [], g.row.modelRedirects ?? {}, g.row.modelRedirectStrict)) {
      if (pk.allowsModel(m)) out.add(m)
    }
  }
  return [...out].sort()
}
