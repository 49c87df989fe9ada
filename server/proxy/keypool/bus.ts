import type { KeyStatus } from '../../../shared/types/rows'
import type { Store } from '../../store/types'
import type { RemoteKeyState } from './transitions'
import type { PoolKey } from './types'

const CHANNEL = 'key-state'

/**
 * Key state changes travel to every instance at once over the Store's pub/sub (Redis in a
 * cluster), so a key banned or cooling on one instance is skipped by all within a second; the
 * database write follows in the writer's next batch.
 */
export function createKeyStateBus(store: Store, instanceId: string, onError: (err: unknown) => void) {
  return {
    publish(k: PoolKey) {
      const m = { o: instanceId, g: k.groupId, k: k.id, s: k.status, u: k.cooldownUntil, f: k.consecutiveFailures }
      store.publish(CHANNEL, JSON.stringify(m)).catch(onError)
    },
    subscribe(apply: (m: RemoteKeyState) => void): Promise<() => Promise<void>> {
      return store.subscribe(CHANNEL, (raw) => {
        let m: { o: string; g: number; k: number; s: KeyStatus; u: number; f: number }
        try { m = JSON.parse(raw) } catch { return }
        if (m.o === instanceId) return
        apply({ groupId: m.g, keyId: m.k, status: m.s, cooldownUntil: m.u, consecutiveFailures: m.f })
      })
    },
  }
}
