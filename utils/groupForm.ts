import { channelInfo, type ChannelType } from '../shared/channels'
import type { GroupCreateInput, GroupView } from '../shared/schemas/groups'
import { GROUP_CONFIG_KEYS, SETTINGS, type GroupConfigKey } from '../shared/settings'

/** One per-group override as the form holds it: off means "use the global value". */
export type ConfigOverride = { on: boolean; value: number | boolean | string }

/**
 * A group as the form edits it: lists of rows where the API has maps (redirects), text where a
 * user types a list (models, allowed paths) and JSON text for parameter overrides.
 */
export type GroupFormModel = {
  name: string
  displayName: string
  description: string
  type: 'standard' | 'aggregate'
  channel: ChannelType
  upstreams: { url: string; weight: number }[]
  models: string
  testModel: string
  validationPath: string
  priority: number
  redirects: { from: string; to: string }[]
  modelRedirectStrict: boolean
  paramOverrides: string
  headerRules: { name: string; value: string; action: 'set' | 'remove' }[]
  allowedPaths: string
  acceptsConversions: boolean
  priceMultiplier: number
  config: Record<GroupConfigKey, ConfigOverride>
  subGroups: { groupId: number | null; weight: number }[]
  enabled: boolean
}

const splitList = (text: string, sep: RegExp) => text.split(sep).map(s => s.trim()).filter(Boolean)

function emptyConfig(): Record<GroupConfigKey, ConfigOverride> {
  const entries = GROUP_CONFIG_KEYS.map(k => [k, { on: false, value: SETTINGS[k].default }])
  return Object.fromEntries(entries) as Record<GroupConfigKey, ConfigOverride>
}

/** The form for a new group of `type` (a channel's defaults filled in), or for editing `group`. */
export function toFormModel(group: GroupView | null | undefined, type: 'standard' | 'aggregate' = 'standard'): GroupFormModel {
  if (!group) {
    const c = channelInfo('openai')
    return {
      name: '', displayName: '', description: '', type, channel: c.type,
      upstreams: type === 'standard' ? [{ url: c.defaultUpstream, weight: 1 }] : [],
      models: '', testModel: c.defaultTestModel, validationPath: '', priority: 0,
      redirects: [], modelRedirectStrict: false, paramOverrides: '', headerRules: [], allowedPaths: '',
      acceptsConversions: false, priceMultiplier: 1, config: emptyConfig(),
      subGroups: type === 'aggregate' ? [{ groupId: null, weight: 1 }] : [], enabled: true,
    }
  }
  const config = emptyConfig()
  for (const [k, v] of Object.entries(group.config ?? {})) {
    if (k in config && v !== undefined) config[k as GroupConfigKey] = { on: true, value: v }
  }
  return {
    name: group.name, displayName: group.displayName, description: group.description, type: group.type, channel: group.channel,
    upstreams: group.upstreams.map(u => ({ url: u.url, weight: u.weight })),
    models: group.models.join(', '), testModel: group.testModel, validationPath: group.validationPath, priority: group.priority,
    redirects: Object.entries(group.modelRedirects).map(([from, to]) => ({ from, to })),
    modelRedirectStrict: group.modelRedirectStrict,
    paramOverrides: Object.keys(group.paramOverrides).length ? JSON.stringify(group.paramOverrides, null, 2) : '',
    headerRules: group.headerRules.map(r => ({ name: r.name, value: r.value, action: r.action })),
    allowedPaths: group.allowedPaths.join('\n'),
    acceptsConversions: group.acceptsConversions, priceMultiplier: group.priceMultiplier, config,
    subGroups: group.subGroups.map(s => ({ groupId: s.groupId, weight: s.weight })), enabled: group.enabled,
  }
}

export type FormBody = { body: GroupCreateInput; problems: Record<string, string> }

/**
 * What the form sends: every writable field but `sort` (the list's drag order owns it), so a
 * save never moves the group. `problems` holds what the schema cannot see (JSON that does not parse).
 */
export function toBody(f: GroupFormModel, messages: { jsonObject: string; pickGroup: string }): FormBody {
  const problems: Record<string, string> = {}
  let paramOverrides: Record<string, unknown> = {}
  if (f.paramOverrides.trim()) {
    try {
      const parsed: unknown = JSON.parse(f.paramOverrides)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) paramOverrides = parsed as Record<string, unknown>
      else problems.paramOverrides = messages.jsonObject
    } catch { problems.paramOverrides = messages.jsonObject }
  }
  const aggregate = f.type === 'aggregate'
  if (aggregate && f.subGroups.some(s => s.groupId === null)) problems.subGroups = messages.pickGroup
  const config: Record<string, unknown> = {}
  for (const k of GROUP_CONFIG_KEYS) if (f.config[k].on) config[k] = f.config[k].value
  // Record<string, string> built in order: a later row with the same model wins, as a map would.
  const modelRedirects = Object.fromEntries(f.redirects.filter(r => r.from.trim() || r.to.trim()).map(r => [r.from.trim(), r.to.trim()]))
  return {
    problems,
    body: {
      name: f.name.trim(),
      displayName: f.displayName.trim(),
      description: f.description,
      type: f.type,
      channel: f.channel,
      upstreams: aggregate ? [] : f.upstreams.filter(u => u.url.trim()).map(u => ({ url: u.url.trim(), weight: u.weight })),
      models: splitList(f.models, /[,\s]+/),
      testModel: f.testModel.trim(),
      validationPath: f.validationPath.trim(),
      priority: f.priority,
      modelRedirects,
      modelRedirectStrict: f.modelRedirectStrict,
      paramOverrides,
      headerRules: f.headerRules.filter(r => r.name.trim()).map(r => ({ name: r.name.trim(), value: r.value, action: r.action })),
      allowedPaths: splitList(f.allowedPaths, /\n+/),
      acceptsConversions: f.acceptsConversions,
      priceMultiplier: f.priceMultiplier,
      config: config as GroupCreateInput['config'],
      subGroups: aggregate ? f.subGroups.filter(s => s.groupId !== null).map(s => ({ groupId: s.groupId!, weight: s.weight })) : [],
      enabled: f.enabled,
    },
  }
}
