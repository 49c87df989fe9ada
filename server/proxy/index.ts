import type { KeyStatus } from '../../shared/types/rows'
import { UpstreamDispatchers, undiciTransport } from './upstreamPools'
import { BodyBudget } from './body'
import type { Engine } from './engine'
import { handleProxy } from './handler'
import { createLogIds } from './ids'
import { createKeyStateBus } from './keypool/bus'
import { KeyPool } from './keypool/pool'
import { createReloadQueue, reloadPoolPaged } from './keypool/reload'
import { createKeyStateWriter } from './keypool/stateWriter'
import { applyKeyRows } from './keypool/sync'
import { applyRemoteState, recordWake, type KeyStateSink } from './keypool/transitions'
import type { EngineDeps, ProxyEngine } from './ports'
import { ProxyKeyTable } from './proxyKeys'
import { ConsumerLimits } from './limits/consumer'
import { PriceTable } from './limits/prices'
import { GroupRegistry } from './registry'
import { explainRoute } from './routeExplain'
import { validateKey } from './validation'

export type * from './ports'

/**
 * Builds the proxy engine: loads groups, keys and proxy keys into memory through `deps.data`,
 * follows change notices and other instances' key states, and resolves once every pool is
 * loaded (so /ready can wait for it).
 */
export async function createProxyEngine(deps: EngineDeps): Promise<ProxyEngine> {
  const { data, store, log, secrets, options } = deps
  const dispatchers = new UpstreamDispatchers(deps.upstreamTransport ?? undiciTransport(options.outboundProxy))
  const writer = createKeyStateWriter(data, log)
  const bus = createKeyStateBus(store, options.instanceId, err => log.warn({ err }, 'publishing a key state failed'))
  const sink: KeyStateSink = { persist: k => writer.persist(k), broadcast: k => bus.publish(k) }
  const registry = new GroupRegistry(deps.settings)
  const proxyKeys = new ProxyKeyTable()
  const makePool = (groupId: number) => new KeyPool(groupId, k => recordWake(k, sink))
  const decrypt = (c: string) => secrets.decrypt(c)
  const undecryptable = (id: number) => log.error(`key ${id} cannot be decrypted with this ENCRYPTION_KEY; it is skipped`)

  // Key reloads go through a per-group queue: paged and yielding for a whole group, by id for
  // notices that name keys, merged while one runs (a big group must not stall the instance).
  const keyReloads = createReloadQueue(async (groupId, work) => {
    const g = registry.byId.get(groupId)
    if (!g) return
    const t = Date.now()
    if (work.full) {
      await reloadPoolPaged(g.pool, (after, limit) => data.loadPoolKeyPage(groupId, after, limit), decrypt, undecryptable)
    } else {
      const rows = await data.loadPoolKeysByIds(groupId, work.ids)
      // The group may have been replaced or dropped while the rows were read.
      if (registry.byId.get(groupId)?.pool !== g.pool) return
      applyKeyRows(g.pool, work.ids, rows, decrypt, undecryptable)
    }
    log.debug({ group: g.row.name, counts: g.pool.counts, keys: work.full ? 'all' : work.ids.length, ms: Date.now() - t }, 'keys reloaded')
  }, err => log.error({ err }, 'proxy engine key reload failed'))

  async function reloadGroups() {
    const { groups, subGroups } = await data.loadGroups()
    const fresh = registry.replaceGroups(groups, subGroups, makePool)
    // Not awaited: a big new group loads in the background, other notices go on meanwhile.
    for (const id of fresh) void keyReloads.request(id)
  }
  const reloadProxyKeys = async () => proxyKeys.replace(await data.loadProxyKeys())
  const prices = { current: new PriceTable() }
  const reloadPrices = async () => { prices.current = new PriceTable(await data.loadPrices()) }
  const limits = new ConsumerLimits({
    store, log, timeZone: () => deps.settings.current().budget_time_zone, loadSpend: (id, since) => data.loadProxyKeySpend(id, since),
  })

  // Reloads run one after another, so a slow one never lands on top of a newer one.
  let chain: Promise<void> = Promise.resolve()
  const serial = (fn: () => Promise<void>) => (chain = chain.then(fn).catch(err => log.error({ err }, 'proxy engine reload failed')))
  let closed = false
  // Followed from before the first load: a change made meanwhile (another instance, a big
  // group taking seconds to load) is queued behind it instead of lost.
  deps.changes.subscribe((c) => {
    if (closed) return
    if (c.type === 'groups') return serial(reloadGroups)
    if (c.type === 'keys') return void keyReloads.request(c.groupId, c.keyIds)
    if (c.type === 'proxy-keys') return serial(reloadProxyKeys)
    if (c.type === 'prices') return serial(reloadPrices)
  })
  const t0 = Date.now()
  // The first loads go at the head of the chain, so a notice's reload cannot land before them.
  const initial = (async () => {
    const { groups, subGroups } = await data.loadGroups()
    registry.replaceGroups(groups, subGroups, makePool)
    await reloadProxyKeys()
    await reloadPrices()
  })()
  chain = initial.catch(() => {})
  await initial
  await Promise.all([...registry.byId.keys()].map(id => keyReloads.request(id)))
  let keyCount = 0
  for (const g of registry.byId.values()) keyCount += g.pool.size
  log.info(`proxy engine: ${registry.byId.size} groups, ${keyCount} keys loaded in ${Date.now() - t0} ms`)

  const stopBus = await bus.subscribe((m) => {
    const g = registry.byId.get(m.groupId)
    const k = g?.pool.byId.get(m.keyId)
    if (g && k) applyRemoteState(g.pool, k, m)
  })

  const engine: Engine = {
    registry, proxyKeys, sink, store, log, settings: deps.settings, requestLog: deps.requestLog, metrics: deps.metrics,
    dispatchers, hash: s => secrets.hash(s), options, inFlight: 0, slots: deps.slots,
    bodyLimits: {
      maxBytes: options.maxRequestBodyBytes, timeoutMs: options.requestBodyTimeoutMs, budget: new BodyBudget(options.maxBufferedBodyBytes),
    },
    proxyKeySlots: Math.max(1, Math.floor(options.proxyKeyMaxShare * options.maxConcurrentRequests)),
    newRequestId: createLogIds(),
    limits, prices, pacing: { store, clock: limits.clock },
  }

  return {
    handle: (req, res, route) => handleProxy(engine, req, res, route),
    validateKey: (group, key, opts) => validateKey(group, key, deps.settings.current(), dispatchers, opts),
    async proxyKeyCounters(id) {
      const pk = proxyKeys.byRowId(id)
      if (!pk) return null
      const now = Date.now()
      const c = await limits.counters(pk.row, now)
      return {
        rpm: c.rpm, tpm: c.tpm, tokens: c.tokens, cost: c.cost, periodStart: c.period.start, periodEnd: c.period.end,
        timeZone: deps.settings.current().budget_time_zone, inFlight: pk.inFlight,
      }
    },
    explainRoute: q => explainRoute(registry, proxyKeys, q),
    keyCounts() {
      const out: Record<string, Record<KeyStatus, number>> = {}
      for (const g of registry.byId.values()) if (g.row.type !== 'aggregate') out[g.row.name] = { ...g.pool.counts }
      return out
    },
    async close() {
      closed = true
      await stopBus()
      await writer.stop()
      await dispatchers.close()
    },
  }
}
