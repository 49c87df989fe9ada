import type { ServerResponse } from 'node:http'
import type { ChannelType } from '../../shared/types/rows'
import type { ApiFlavour } from './channels'
import { listableModels } from './models'
import type { ProxyKeyRuntime } from './proxyKeys'
import type { GroupRuntime } from './registry'

const CHANNELS_OF: Record<ApiFlavour, ChannelType[]> = { openai: ['openai', 'openai-response'], anthropic: ['anthropic'], gemini: ['gemini'] }

/** Every model name the key may reach through groups speaking `flavour`, after redirects. */
export function reachableModels(groups: readonly GroupRuntime[], pk: ProxyKeyRuntime, flavour: ApiFlavour): string[] {
  const channels = CHANNELS_OF[flavour]
  const out = new Set<string>()
  for (const g of groups) {
    if (!channels.includes(g.row.channel)) continue
    if (pk.groups && !pk.groups.has(g.row.id)) continue
    for (const m of listableModels(g.row.models ?? [], g.row.modelRedirects ?? {}, g.row.modelRedirectStrict)) if (pk.allowsModel(m)) out.add(m)
  }
  return [...out].sort()
}

/** The list in the shape each SDK's `models.list()` parses. */
export function modelListBody(flavour: ApiFlavour, models: string[]): unknown {
  if (flavour === 'anthropic') {
    return { data: models.map(id => ({ type: 'model', id, display_name: id, created_at: '2024-01-01T00:00:00Z' })), has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null }
  }
  if (flavour === 'gemini') {
    return { models: models.map(id => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] })) }
  }
  return { object: 'list', data: models.map(id => ({ id, object: 'model', created: 0, owned_by: 'keygate' })) }
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
