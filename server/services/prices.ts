import { asc, gte } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mysqlSchema, sqliteSchema } from '../../db/client'
import type { PricesPutInput, PricesView } from '../../shared/schemas/prices'
import type { ModelPriceRow } from '../../shared/types/rows'
import { PriceTable } from '../proxy/limits/prices'
import type { Logger } from '../logger'
import type { ChangePublisher } from './changes'
import { access, affectedRows, inTransaction } from './dbAccess'
import { SEED_PRICES } from './priceSeed'

/** The settings row that says the table was seeded (rows starting with `_` are internal, not settings). */
const SEEDED_MARKER = '_model_prices_seeded'
const UNPRICED_WINDOW_MS = 30 * 86_400_000

/**
 * Writes the seed prices on the first start only: the instance that inserts the marker row seeds,
 * so neither a restart nor a second instance ever brings back a price the admin changed or removed.
 */
export async function seedModelPrices(handle: Db, log: Logger, now = Date.now()): Promise<boolean> {
  const rows = SEED_PRICES.map(p => ({ ...p, updatedAt: now }))
  if (handle.dialect === 'sqlite') {
    const marker = { key: SEEDED_MARKER, value: true, updatedAt: now }
    const claimed = affectedRows(handle.db.insert(sqliteSchema.settings).values(marker).onConflictDoNothing().run())
    if (!claimed) return false
    handle.db.insert(sqliteSchema.modelPrices).values(rows).onConflictDoNothing().run()
  } else {
    const marker = { key: SEEDED_MARKER, value: true, updatedAt: now }
    const claimed = affectedRows(await handle.db.insert(mysqlSchema.settings).ignore().values(marker))
    if (!claimed) return false
    await handle.db.insert(mysqlSchema.modelPrices).ignore().values(rows)
  }
  log.info(`model prices: ${rows.length} list prices seeded`)
  return true
}

export type PriceServiceDeps = { db: Db; changes: ChangePublisher }

/** `GET/PUT /api/prices`: the price table the engine costs requests with; a change reaches every instance. */
export function createPriceService({ db: handle, changes }: PriceServiceDeps) {
  async function rows(): Promise<ModelPriceRow[]> {
    const { db, t } = access(handle)
    return db.select().from(t.modelPrices).orderBy(asc(t.modelPrices.model))
  }

  /** Models requested over the last 30 days (hourly stats) that no row prices. */
  async function unpriced(items: ModelPriceRow[], now: number): Promise<string[]> {
    const { db, t } = access(handle)
    const h = t.hourlyStats
    const seen = await db.selectDistinct({ model: h.model }).from(h).where(gte(h.hour, now - UNPRICED_WINDOW_MS))
    const table = new PriceTable(items)
    return seen.map(r => r.model).filter(m => m && !table.lookup(m)).sort()
  }

  async function list(now = Date.now()): Promise<PricesView> {
    const items = await rows()
    return { currency: 'USD', items, unpriced: await unpriced(items, now) }
  }

  /** Replaces the whole table. */
  async function replace(input: PricesPutInput): Promise<PricesView> {
    const now = Date.now()
    await inTransaction(handle, async (db) => {
      const t = (handle.dialect === 'sqlite' ? sqliteSchema : mysqlSchema) as unknown as typeof sqliteSchema
      await db.delete(t.modelPrices)
      if (input.prices.length) await db.insert(t.modelPrices).values(input.prices.map(p => ({ ...p, updatedAt: now })))
    })
    await changes.publish({ type: 'prices' })
    return list(now)
  }

  return { list, replace }
}

export type PriceService = ReturnType<typeof createPriceService>
