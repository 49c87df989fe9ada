import { eq } from 'drizzle-orm'
import type { Db } from '../../../db/client'
import { mysqlSchema, sqliteSchema } from '../../../db/client'
import { ConfigError } from '../../config/schema'
import { DecryptError, type KeyCipher } from './cipher'

const CHECK_KEY = '_encryption_check'
const CHECK_PLAIN = 'keygate-encryption-check'

/**
 * The first start stores a known value encrypted; every later start decrypts it, so a changed
 * or wrong ENCRYPTION_KEY stops startup instead of turning stored keys into garbage.
 */
export async function verifyEncryptionKey(handle: Db, cipher: KeyCipher): Promise<void> {
  const now = Date.now()
  let stored: unknown
  if (handle.dialect === 'sqlite') {
    const t = sqliteSchema.settings
    stored = handle.db.select().from(t).where(eq(t.key, CHECK_KEY)).get()?.value
    if (stored === undefined) {
      handle.db.insert(t).values({ key: CHECK_KEY, value: cipher.encrypt(CHECK_PLAIN), updatedAt: now }).onConflictDoNothing().run()
      stored = handle.db.select().from(t).where(eq(t.key, CHECK_KEY)).get()?.value
    }
  } else {
    const t = mysqlSchema.settings
    stored = (await handle.db.select().from(t).where(eq(t.key, CHECK_KEY)))[0]?.value
    if (stored === undefined) {
      // Two instances may race here: the insert is idempotent and both then read the winner's row.
      await handle.db.insert(t).values({ key: CHECK_KEY, value: cipher.encrypt(CHECK_PLAIN), updatedAt: now })
        .onDuplicateKeyUpdate({ set: { key: CHECK_KEY } })
      stored = (await handle.db.select().from(t).where(eq(t.key, CHECK_KEY)))[0]?.value
    }
  }
  try {
    if (typeof stored !== 'string' || cipher.decrypt(stored) !== CHECK_PLAIN) throw new DecryptError('mismatch')
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err
    throw new ConfigError('ENCRYPTION_KEY: does not match the key this database was encrypted with (or the stored data was tampered with)')
  }
}
