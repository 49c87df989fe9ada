import type { RouteApi, RouteCandidate, RouteExplanation, RouteQuery } from '../../shared/schemas/route'
import { unifiedChannels } from './channels'
import { convertibleApi, preferNative, reachableByConversion } from './conversion'
import type { ProxyKeyTable } from './proxyKeys'
import type { GroupRegistry, GroupRuntime } from './registry'

/** The request each API stands for: what the unified route would receive. */
function probePath(api: RouteApi, model: string): string {
  if (api === 'responses') return '/v1/responses'
  if (api === 'anthropic') return '/v1/messages'
  if (api === 'gemini') return `/v1beta/models/${model || 'model'}:generateContent`
  return '/v1/chat/completions'
}

function keyCounts(g: GroupRuntime, now: number): { usable: number; total: number } {
  if (g.row.type === 'aggregate') {
    let usable = 0, total = 0
    for (const s of g.subGroups) {
      if (!s.group.row.enabled || s.weight <= 0) continue
      const c = keyCounts(s.group, now)
      usable += c.usable
      total += c.total
    }
    return { usable, total }
  }
  g.pool.hasUsable(now)
  return { usable: g.pool.usableCount, total: g.pool.size }
}

/**
 * Why a unified-route request would go where it goes (GET /api/route), by the same rules as the
 * handler: channel, endpoint, model, the proxy key's groups and models, then usable keys, in
 * priority order. Admin-only, so every group is shown. Null when `proxyKey` names no key.
 */
export function explainRoute(registry: GroupRegistry, proxyKeys: ProxyKeyTable, q: RouteQuery, now = Date.now()): RouteExplanation | null {
  const pk = q.proxyKey !== undefined ? proxyKeys.byRowId(q.proxyKey) : null
  if (pk === undefined) return null
  const path = probePath(q.api, q.model)
  const channels = unifiedChannels(path, {})
  const model = q.model
  // Groups of other APIs that accept conversions count too; at equal priority the client's own API goes first.
  const api = convertibleApi('POST', path)
  const groups = preferNative([...registry.byId.values()]
    .sort((a, b) => a.row.priority - b.row.priority || a.row.sort - b.row.sort || a.row.id - b.row.id), channels)
  const candidates: RouteCandidate[] = []
  for (const g of groups) {
    const native = channels.includes(g.channel)
    if (!native && !reachableByConversion(api, g, channels)) continue
    const { usable, total } = keyCounts(g, now)
    let reason: RouteCandidate['reason'] = null
    if (!g.row.enabled) reason = 'disabled'
    else if (native && !g.allowsEndpoint('POST', path)) reason = 'endpoint_not_allowed'
    else if (model ? !g.servesModel(model) : !g.servesAnyModel) reason = model ? 'model_not_served' : 'model_required'
    else if (pk?.groups && !pk.groups.has(g.row.id)) reason = 'group_not_allowed'
    else if (usable === 0) reason = 'no_usable_key'
    candidates.push({
      groupId: g.row.id, groupName: g.row.name, channel: g.row.channel, priority: g.row.priority,
      usableKeys: usable, totalKeys: total, reason,
    })
  }
  const open = candidates.filter(c => c.reason !== 'disabled')
  let reason: RouteExplanation['reason'] = null
  if (pk && model && !pk.allowsModel(model)) reason = 'model_not_allowed'
  else if (pk && !model && pk.limitsModels) reason = 'model_required'
  else if (open.length && open.every(c => c.reason === 'endpoint_not_allowed')) reason = 'endpoint_not_allowed'
  else if (!candidates.some(c => c.reason === null)) {
    if (candidates.some(c => c.reason === 'no_usable_key')) reason = 'no_usable_key'
    else if (candidates.some(c => c.reason === 'group_not_allowed')) reason = 'group_not_allowed'
    else reason = model ? 'model_not_found' : 'model_required'
  }
  const chosen = reason === null ? candidates.find(c => c.reason === null)!.groupId : null
  return { api: q.api, model, proxyKey: pk ? { id: pk.row.id, name: pk.row.name } : null, candidates, chosen, reason }
}
