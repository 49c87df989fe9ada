import type { ChannelType, GroupType, HeaderRule } from '../../shared/types/rows'
import { startServer, type RunningServer, type StartOptions } from './server'

/** A group as the tests describe it; everything but name, channel and upstreams has a default. */
export type GroupSpec = {
  name: string
  channel: ChannelType
  upstreams?: { url: string; weight: number }[]
  models?: string[]
  priority?: number
  testModel?: string
  validationPath?: string
  modelRedirects?: Record<string, string>
  modelRedirectStrict?: boolean
  paramOverrides?: Record<string, unknown>
  headerRules?: HeaderRule[]
  allowedPaths?: string[]
  acceptsConversions?: boolean
  config?: Record<string, unknown>
  type?: GroupType
  /** Aggregate groups: sub-groups by name. */
  subGroups?: { name: string; weight: number }[]
  keys?: string[]
}

export type ProxyKeySpec = {
  name?: string
  groups?: string[]
  models?: string[]
  rpm?: number
  maxConcurrency?: number
  expiresAt?: number | null
  enabled?: boolean
  /** Any other proxy-key fields (tpm, budgets, ipAllowlist…), sent as they are. */
  extra?: Record<string, unknown>
}

export type Seeded = { server: RunningServer; groupIds: Record<string, number>; proxyKeys: string[] }

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

async function expectStatus(r: { status: number; body: any }, ok: number[], what: string) {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
}

/** Adds keys through the management API and waits for the import task to finish. */
export async function addKeys(server: RunningServer, groupId: number, keys: string[]) {
  const r = await server.api('POST', `/api/groups/${groupId}/keys`, { keys: keys.join('\n') })
  await expectStatus(r, [202], 'add keys')
  await waitTask(server, r.body.taskId)
}

export async function waitTask(server: RunningServer, taskId: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const t = await server.api('GET', `/api/tasks/${taskId}`)
    if (t.body?.state === 'done') return t.body
    if (t.body?.state === 'failed') throw new Error(`task ${taskId} failed: ${t.body.error}`)
    if (Date.now() > end) throw new Error(`task ${taskId} did not finish`)
    await sleep(50)
  }
}

/**
 * Creates groups (with keys) and proxy keys through the management API, the way an admin
 * would, then waits until the proxy engine has picked them up.
 */
export async function seed(server: RunningServer, groups: GroupSpec[], proxyKeys: ProxyKeySpec[] = [{}]): Promise<Seeded> {
  const groupIds: Record<string, number> = {}
  for (const g of groups) {
    const body = {
      name: g.name, channel: g.channel, type: g.type ?? 'standard', upstreams: g.upstreams ?? [],
      models: g.models ?? ['*'], priority: g.priority ?? 0, testModel: g.testModel ?? 'gpt-4o-mini', validationPath: g.validationPath ?? '',
      modelRedirects: g.modelRedirects ?? {}, modelRedirectStrict: g.modelRedirectStrict ?? false, paramOverrides: g.paramOverrides ?? {},
      headerRules: g.headerRules ?? [], ...(g.allowedPaths ? { allowedPaths: g.allowedPaths } : {}),
      ...(g.acceptsConversions ? { acceptsConversions: true } : {}), config: g.config ?? {},
      ...(g.subGroups ? { subGroups: g.subGroups.map(s => ({ groupId: groupIds[s.name], weight: s.weight })) } : {}),
    }
    const r = await server.api('POST', '/api/groups', body)
    await expectStatus(r, [201, 200], `create group ${g.name}`)
    groupIds[g.name] = r.body.id
    if (g.keys?.length) await addKeys(server, r.body.id, g.keys)
  }
  const secrets: string[] = []
  for (const [i, p] of proxyKeys.entries()) {
    const r = await server.api('POST', '/api/proxy-keys', {
      name: p.name ?? `test-${i}`, groupIds: (p.groups ?? []).map(n => groupIds[n]), models: p.models ?? [],
      rpm: p.rpm ?? 0, maxConcurrency: p.maxConcurrency ?? 0, expiresAt: p.expiresAt ?? null, enabled: p.enabled ?? true, ...p.extra,
    })
    await expectStatus(r, [201], 'create proxy key')
    secrets.push(r.body.key)
  }
  // Change notices are applied asynchronously: wait until the last proxy key is accepted.
  if (secrets.length) {
    const end = Date.now() + 5000
    while (Date.now() < end) {
      const r = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${secrets.at(-1)}` } })
      if (r.status === 200) break
      await sleep(25)
    }
  }
  await sleep(100)
  return { server, groupIds, proxyKeys: secrets }
}

/** Starts the built server with its own data dir and seeds it. */
export async function startSeeded(groups: GroupSpec[], proxyKeys: ProxyKeySpec[] = [{}], opts: StartOptions = {}): Promise<Seeded> {
  const server = await startServer(opts)
  try { return await seed(server, groups, proxyKeys) } catch (e) { await server.stop(); throw e }
}

/** The group's keys as the management API lists them (masked), by masked value. */
export async function keyRows(server: RunningServer, groupId: number): Promise<any[]> {
  const r = await server.api('GET', `/api/groups/${groupId}/keys?pageSize=500`)
  return r.body.items
}
