import type { KeyStatus } from '../../shared/types/rows'
import { onShutdown, type AppContext } from '../app'
import { onChange } from '../services/changes'
import { runUnderLease } from '../services/jobs'
import { createKeyStateWriter } from '../services/keyState'
import { loadGroups, loadPoolKeys, loadProxyKeys } from '../services/poolLoader'
import { closeAllDispatchers, configureOutboundProxy } from './agents'
import { setEngine, type Engine } from './engine'
import { setKeyStateSource } from './integrations'
import { createKeyStateBus } from './keypool/bus'
import { KeyPool } from './keypool/pool'
import { syncPool } from './keypool/sync'
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

  async function reloadKeys(groupId?: number) {
    const rows = await loadPoolKeys(db, groupId)
    const byGroup = new Map<number, typeof rows>()
    for (const r of rows) {
      let list = byGroup.get(r.groupId)
      if (!list) byGroup.set(r.groupId, (list = []))
      list.push(r)
    }
    for (const g of registry.byId.values()) {
      if (groupId !== undefined && g.row.id !== groupId) continue
      syncPool(g.pool, byGroup.get(g.row.id) ?? [], decrypt, undecryptable)
      log.debug({ group: g.row.name, counts: g.pool.counts }, 'keys reloaded')
    }
  }
  async function reloadGroups() {
    const { groups, subGroups } = await loadGroups(db)
    const fresh = registry.replaceGroups(groups, subGroups, makePool)
    for (const id of fresh) await reloadKeys(id)
  }
  const reloadProxyKeys = async () => proxyKeys.replace(await loadProxyKeys(db))

  const t0 = Date.now()
  const { groups, subGroups } = await loadGroups(db)
  registry.replaceGroups(groups, subGroups, makePool)
  await reloadKeys()
  await reloadProxyKeys()
  let keyCount = 0
  for (const g of registry.byId.values()) keyCount += g.pool.size
  log.info(`proxy engine: ${registry.byId.size} groups, ${keyCount} keys loaded in ${Date.now() - t0} ms`)

  // Reloads run one after another, so a slow one never lands on top of a newer one.
  let chain: Promise<void> = Promise.resolve()
  const serial = (fn: () => Promise<void>) => (chain = chain.then(fn).catch(err => log.error({ err }, 'proxy engine reload failed')))
  onChange((c) => {
    if (c.type === 'groups') return serial(reloadGroups)
    if (c.type === 'keys') return serial(() => reloadKeys(c.groupId))
    if (c.type === 'proxy-keys') return serial(reloadProxyKeys)
  })
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
