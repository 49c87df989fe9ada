import type { Channel } from './channels'
import { listableModels } from './models'
import type { ProxyKeyRuntime } from './proxyKeys'
import type { GroupRuntime } from './registry'

/** Every model name the key may reach through groups of `channels`, after redirects, sorted. */
export function reachableModels(groups: readonly GroupRuntime[], pk: ProxyKeyRuntime, channels: readonly Channel[]): string[] {
  const out = new Set<string>()
  for (const g of groups) {
    if (!channels.includes(g.channel)) continue
    if (pk.groups && !pk.groups.has(g.row.id)) continue
    for (const m of listableModels(g.row.models ?? [], g.row.modelRedirects ?? {}, g.row.modelRedirectStrict)) {
      if (pk.allowsModel(m)) out.add(m)
    }
  }
  return [...out].sort()
}
