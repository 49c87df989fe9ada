// The primary's side of the IPC store in its own process, for tests/unit/store/conformance.test.ts:
// one memory store served over this process's IPC channel to the parent (as the primary serves its workers).
import type { IpcPort } from '../../server/cluster/port'
import { createStoreHost } from '../../server/store/ipcHost'
import { createMemoryStore } from '../../server/store/memory'

createStoreHost(createMemoryStore()).attach(process as unknown as IpcPort)
process.on('disconnect', () => process.exit(0))
