import type { KeyStatus } from '../../shared/types/rows'
import { onShutdown, type AppContext } from '../app'
import { onChange } from '../services/changes'
import { runUnderLease } from '../services/jobs'
import { createKeyStateWriter } from '../services/keyState'
import { loadGroups, loadPoolKeyPage, loadPoolKeysByIds, loadProxyKeys } from '../services/poolLoader'
import { closeAllDispatchers, configureOutboundProxy } from './agents'
import { setEngine, type Engine } from './engine'
import { setKeyStateSource } from './integrations'
import { createKeyStateBus } from './keypool/bus'
import { KeyPool } from './keypool/pool'
import { createReloadQueue, reloadPoolPaged } from './keypool/reload'
import { applyKeyRows } from './keypool/sync'
import { applyRemoteState, recordWake, type KeyStateSink } from './keypool/transitions'
import { ProxyKeyTable } from './proxyKeys'
import { GroupRegistry } from './registry'
import { revalidateInvalidKeys } from './revalidate'

/**
 * Boot step of the proxy engine: loads groups, keys and proxy keys into memory, follows change
 * notices and other instances' key states, runs the background re-validation, and on shutdown
 * writes back every pending key state.
 */
export async function startProxyEngine(app: AppContext): Promise<Engine> {
  const { db, store, cipher, log, config } = app
  configureOutboundProxy(config.outboundProxy)
  const writer = createKeyStateWriter(db, log)
  const bus = createKeyStateBus(store, app.instanceId, err => log.warn({ err }, 'publishing a key state failed'))
  const sink: KeyStateSink = { persist: k => writer.persist(k), broadcast: k => bus.publish(k) }
  const registry = new GroupRegistry()
  const proxyKeys = new ProxyKeyTable()
  const makePool = (groupId: number) => new KeyPool(groupId, k => recordWake(k, sink))
  const decrypt = (c: string) => cipher.decrypt(c)
  const undecryptable = (id: number) => log.error(`key ${id} cannot be decrypted with this ENCRYPTION_KEY; it is skipped`)

  // Key reloads go through a per-group queue: paged and yielding for a whole group, by id for
  // notices that name keys, merged while one runs (a big group must not stall the instance).
  const keyReloads = createReloadQueue(async (groupId, work) => {
    const g = registry.byId.get(groupId)
    if (!g) return
    const t = Date.now()
    if (work.full) {
      await reloadPoolPaged(g.pool, (after, limit) => loadPoolKeyPage(db, groupId, after, limit), decrypt, undecryptable)
    } else {
      const rows = await loadPoolKeysByIds(db, groupId, work.ids)
      // The group may have been replaced or dropped while the rows were read.
      if (registry.byId.get(groupId)?.pool !== g.pool) return
      applyKeyRows(g.pool, work.ids, rows, decrypt, undecryptable)
    }
    log.debug({ group: g.row.name, counts: g.pool.counts, keys: work.full ? 'all' : work.ids.length, ms: Date.now() - t }, 'keys reloaded')
  }, err => log.error({ err }, 'proxy engine key reload failed'))

  async function reloadGroups() {
    const { groups, subGroups } = await loadGroups(db)
    const fresh = registry.replaceGroups(groups, subGroups, makePool)
    // Not awaited: a big new group loads in the background, other notices go on meanwhile.
    for (const id of fresh) void keyReloads.request(id)
  }
  const reloadProxyKeys = async () => proxyKeys.replace(await loadProxyKeys(db))

  // Reloads run one after another, so a slow one never lands on top of a newer one.
  let chain: Promise<void> = Promise.resolve()
  const serial = (fn: () => Promise<void>) => (chain = chain.then(fn).catch(err => log.error({ err }, 'proxy engine reload failed')))
  // Followed from before the first load: a change made meanwhile (another instance, a big
  // group taking seconds to load) is queued behind it instead of lost.
  onChange((c) => {
    if (c.type === 'groups') return serial(reloadGroups)
    if (c.type === 'keys') return void keyReloads.request(c.groupId, c.keyIds)
    if (c.type === 'proxy-keys') return serial(reloadProxyKeys)
  })
  const t0 = Date.now()
  // The first loads go at the head of the chain, so a notice's reload cannot land before them.
  const initial = (async () => {
    const { groups, subGroups } = await loadGroups(db)
    registry.replaceGroups(groups, subGroups, makePool)
    await reloadProxyKeys()
  })()
  chain = initial.catch(() => {})
  await initial
  // Awaited: /ready answers ready only once every pool is loaded (CONTRACT §4).
  await Promise.all([...registry.byId.keys()].map(id => keyReloads.request(id)))
  let keyCount = 0
  for (const g of registry.byId.values()) keyCount += g.pool.size
  log.info(`proxy engine: ${registry.byId.size} groups, ${keyCount} keys loaded in ${Date.now() - t0} ms`)

  const stopBus = await bus.subscribe((m) => {
    const k = registry.byId.get(m.groupId)?.pool.byId.get(m.keyId)
    if (k) applyRemoteState(registry.byId.get(m.groupId)!.pool, k, m)
  })

  setKeyStateSource(() => {
    const out: Record<string, Record<KeyStatus, number>> = {}
    for (const g of registry.byId.values()) if (g.row.type !== 'aggregate') out[g.row.name] = { ...g.pool.counts }
    return out
  })

  const lastRun = new Map<number, number>()
  const stopJob = runUnderLease(
    { store, owner: app.instanceId, log, name: 'key-validation', intervalMs: () => 60_000 },
    signal => revalidateInvalidKeys(registry, sink, lastRun, log, signal),
  )

  const engine: Engine = {
    registry, proxyKeys, sink, store, log, hash: s => cipher.hash(s),
    maxConcurrent: config.maxConcurrentRequests, bodyLimit: config.maxRequestBodyBytes,
    trustProxy: config.trustProxy, cors: config.cors, inFlight: 0,
  }
  setEngine(engine)
  // Registered after the store and database closers, so it runs before them (reverse order).
  onShutdown('proxy engine', async () => {
    await stopJob()
    await stopBus()
    await writer.stop()
    await closeAllDispatchers()
  })
  return engine
}
