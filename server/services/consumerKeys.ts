import { randomBytes } from 'node:crypto'
import { asc, count, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Page } from '../../shared/schemas/common'
import { PROXY_KEY_PREFIX, type ProxyKeyCreateInput, type ProxyKeyPatchInput, type ProxyKeyView } from '../../shared/schemas/proxyKeys'
import type { ProxyKeyRow } from '../../shared/types/rows'
import { maskSecret } from '../../shared/mask'
import type { ChangePublisher } from './changes'
import { access, contains, insertedId } from './dbAccess'
import { conflict, invalid, notFound } from './errors'
import type { KeyCipher } from './keys/cipher'
import { proxyKeyUsage, type ProxyKeyUsageDeps } from './proxyKeyUsage'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `kg-` and 40 base62 characters (~238 bits); rejection sampling keeps every character uniform. */
export function generateProxySecret(): string {
  let out = PROXY_KEY_PREFIX
  while (out.length < PROXY_KEY_PREFIX.length + 40) {
    for (const b of randomBytes(48)) {
      if (b < 248 && out.length < PROXY_KEY_PREFIX.length + 40) out += ALPHABET[b % 62]
    }
  }
  return out
}

function toView(r: ProxyKeyRow): ProxyKeyView {
  const { keyHash: _h, ...rest } = r
  return { ...rest, budgetPeriod: r.budgetPeriod as ProxyKeyView['budgetPeriod'] }
}

async function checkGroupIds(handle: Db, ids: number[] | undefined) {
  if (!ids?.length) return
  const { db, t } = access(handle)
  const known = new Set((await db.select({ id: t.groups.id }).from(t.groups)).map(r => r.id))
  const i = ids.findIndex(id => !known.has(id))
  if (i >= 0) throw invalid(`groupIds.${i}`, `group ${ids[i]} does not exist`)
}

export type ConsumerKeyServiceDeps = {
  db: Db
  cipher: KeyCipher
  changes: ChangePublisher
  /** The engine's live counters for a key (rpm/tpm windows, budgets), for `usage`. */
  counters?: ProxyKeyUsageDeps['counters']
  timeZone?: () => string
}

/**
 * Proxy keys: the keys consumers call Keygate with (`/api/proxy-keys`). Stored as a hash and a
 * mask; every write tells all instances through the feed.
 */
export function createConsumerKeyService({ db: handle, cipher, changes, counters, timeZone }: ConsumerKeyServiceDeps) {
  async function listProxyKeys(q: { page: number; pageSize: number; q?: string }): Promise<Page<ProxyKeyView>> {
    const { db, t } = access(handle)
    const where = q.q?.trim() ? contains(handle, t.proxyKeys.name, q.q.trim()) : undefined
    const rows = await db.select().from(t.proxyKeys).where(where)
      .orderBy(asc(t.proxyKeys.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize)
    const total = (await db.select({ n: count() }).from(t.proxyKeys).where(where))[0]!.n
    return { items: rows.map(toView), total: Number(total) }
  }

  async function getProxyKey(id: number): Promise<ProxyKeyView> {
    const { db, t } = access(handle)
    const row = (await db.select().from(t.proxyKeys).where(eq(t.proxyKeys.id, id)).limit(1))[0]
    if (!row) throw notFound(`proxy key ${id}`)
    return toView(row)
  }

  /** Creates a consumer key; the secret is in the answer's `key` and nowhere else, ever. */
  async function createProxyKey(input: ProxyKeyCreateInput, opts: { publish?: boolean } = {}): Promise<ProxyKeyView & { key: string }> {
    await checkGroupIds(handle, input.groupIds)
    const { key: given, ...fields } = input
    const secret = given ?? generateProxySecret()
    const keyHash = cipher.hash(secret)
    const { db, t } = access(handle)
    if ((await db.select({ id: t.proxyKeys.id }).from(t.proxyKeys).where(eq(t.proxyKeys.keyHash, keyHash)).limit(1))[0])
      throw conflict('this proxy key already exists')
    const now = Date.now()
    const id = insertedId(await db.insert(t.proxyKeys).values({
      ...fields, keyHash, masked: maskSecret(secret), createdAt: now, updatedAt: now,
    }))
    if (opts.publish !== false) await changes.publish({ type: 'proxy-keys' })
    return { ...(await getProxyKey(id)), key: secret }
  }

  async function updateProxyKey(id: number, patch: ProxyKeyPatchInput): Promise<ProxyKeyView> {
    await getProxyKey(id)
    await checkGroupIds(handle, patch.groupIds)
    const { db, t } = access(handle)
    await db.update(t.proxyKeys).set({ ...patch, updatedAt: Date.now() }).where(eq(t.proxyKeys.id, id))
    await changes.publish({ type: 'proxy-keys' })
    return getProxyKey(id)
  }

  async function deleteProxyKey(id: number): Promise<{ deleted: true }> {
    await getProxyKey(id)
    const { db, t } = access(handle)
    await db.delete(t.proxyKeys).where(eq(t.proxyKeys.id, id))
    await changes.publish({ type: 'proxy-keys' })
    return { deleted: true }
  }

  const usage = (id: number) => proxyKeyUsage({
    db: handle, getProxyKey, counters: counters ?? (async () => null), timeZone: timeZone ?? (() => 'UTC'),
  }, id)

  return { list: listProxyKeys, get: getProxyKey, create: createProxyKey, update: updateProxyKey, delete: deleteProxyKey, usage }
}

export type ConsumerKeyService = ReturnType<typeof createConsumerKeyService>
