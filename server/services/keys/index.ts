import type { KeyActionInput, KeyListQuery, KeyPatchInput } from '../../../shared/schemas/keys'
import type { KeyStatus } from '../../../shared/types/rows'
import type { Logger } from '../../logger'
import { startKeyAction, type KeyActionDeps } from './actions'
import { startKeyImport, type KeySource } from './import'
import { deleteKey, exportKeys, listKeys, updateKey } from './rows'
import { createInvalidKeyRevalidation, testKey } from './validation'

/**
 * The key lifecycle in one place: import (import.ts), single-key reads and writes (rows.ts),
 * bulk actions (actions.ts), validation with its one policy and one database write
 * (validation.ts), encryption (cipher.ts, encryptionCheck.ts) and what the proxy engine loads and
 * writes back (poolLoader.ts).
 */

export { createKeyCipher, DecryptError, type KeyCipher } from './cipher'
export { verifyEncryptionKey } from './encryptionCheck'
export { createEngineData } from './poolLoader'
export { splitKeys, type ImportResult, type KeySource } from './import'
export { recordValidation, validationBlamesKey, type KeyValidator } from './validation'

export type KeyServiceDeps = KeyActionDeps & { log: Logger }

/** What the management API does with upstream keys; every change is published on the feed. */
export function createKeyService(deps: KeyServiceDeps) {
  const { db, cipher } = deps
  return {
    list: (groupId: number, q: KeyListQuery) => listKeys(db, cipher, groupId, q),
    update: (id: number, patch: KeyPatchInput) => updateKey(deps, id, patch),
    delete: (id: number) => deleteKey(deps, id),
    /** Plain keys, one a line: the only way they leave the server. */
    export: (groupId: number, status?: KeyStatus) => exportKeys(db, cipher, groupId, status),
    test: (id: number) => testKey(deps, id),
    startImport: (groupId: number, source: KeySource, notes?: string) => startKeyImport(deps, groupId, source, notes),
    startAction: (groupId: number, input: KeyActionInput) => startKeyAction(deps, groupId, input),
    /** A cheap early 409 before a large upload when a key task already runs for the group. */
    assertNoTask: (groupId: number) => deps.tasks.assertNoKeyTask(groupId),
    /** One pass of the background re-validation of invalid keys (core runs it under a lease). */
    invalidKeyRevalidation: () => createInvalidKeyRevalidation(deps),
  }
}

export type KeyService = ReturnType<typeof createKeyService>
