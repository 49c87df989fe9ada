import type { Db } from '../../db/client'
import type { Store } from '../store/types'
import type { RequestLog } from './requestLog'

export type DependencyState = 'ok' | 'unreachable' | 'writes failing' | 'not used'
export type Readiness = { status: 'ready' | 'degraded'; database: DependencyState; redis: DependencyState }

/** How long a probe may take before its dependency counts as unreachable. */
const PROBE_TIMEOUT_MS = 1000
/** Probes are shared by the /ready calls of one second: a load balancer polling hard costs one query. */
const REUSE_MS = 1000

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * What /ready reports beside "serving": whether the database answers (and takes the request log's
 * writes), and whether Redis answers. The proxy itself needs neither on its hot path, so a
 * degraded dependency is reported, not turned into a 503 that would take a serving instance out
 * of its load balancer.
 */
export function createReadinessProbe(deps: { db: Db; store: Store; requestLog: Pick<RequestLog, 'failing'> }) {
  let last: { at: number; result: Promise<Readiness> } | null = null

  async function database(): Promise<DependencyState> {
    try {
      if (deps.db.dialect === 'sqlite') deps.db.raw.prepare('SELECT 1').get()
      else await within(deps.db.pool.query('SELECT 1'), PROBE_TIMEOUT_MS)
    } catch {
      return 'unreachable'
    }
    return deps.requestLog.failing ? 'writes failing' : 'ok'
  }

  async function redis(): Promise<DependencyState> {
    if (deps.store.kind !== 'redis') return 'not used'
    try {
      await within(deps.store.get('ready-probe'), PROBE_TIMEOUT_MS)
      return 'ok'
    } catch {
      return 'unreachable'
    }
  }

  async function probe(): Promise<Readiness> {
    const [d, r] = await Promise.all([database(), redis()])
    const degraded = d !== 'ok' || (r !== 'ok' && r !== 'not used')
    return { status: degraded ? 'degraded' : 'ready', database: d, redis: r }
  }

  return {
    check(): Promise<Readiness> {
      const now = Date.now()
      if (!last || now - last.at >= REUSE_MS) last = { at: now, result: probe() }
      return last.result
    },
  }
}
export type ReadinessProbe = ReturnType<typeof createReadinessProbe>
