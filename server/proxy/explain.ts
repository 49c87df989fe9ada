import type { ServerResponse } from 'node:http'
import type { ProxyKeyRuntime } from './proxyKeys'
import type { GroupRuntime } from './registry'
import type { PoolKey } from './keypool/types'

/** Reasons listed in `x-keygate-skipped` at most: the header stays small whatever happens. */
const MAX_SKIPPED = 20

/**
 * `x-keygate-explain: 1`: the answer says where the request went (group, key id, never the key),
 * how many attempts it took and why candidates were passed over. It names only groups the proxy
 * key may use: an aggregate's member is shown only when the key may use that member itself.
 * Reasons come from a fixed vocabulary (statuses, key states), never from upstream text.
 */
export class Explanation {
  private attempts = 0
  private readonly skipped: string[] = []

  constructor(private readonly res: ServerResponse, private readonly pk: ProxyKeyRuntime) {
    this.set()
  }

  label(g: GroupRuntime, target: GroupRuntime): string {
    if (target === g || (this.pk.groups && !this.pk.groups.has(target.row.id))) return g.row.name
    return `${g.row.name}/${target.row.name}`
  }

  attempt(g: GroupRuntime, target: GroupRuntime, key: PoolKey) {
    this.attempts++
    if (this.res.headersSent) return
    this.res.setHeader('x-keygate-group', this.label(g, target))
    this.res.setHeader('x-keygate-key-id', String(key.id))
    this.set()
  }

  skip(reason: string) {
    if (this.skipped.length < MAX_SKIPPED) this.skipped.push(reason.replace(/[^\x20-\x7e]/g, '?'))
    this.set()
  }

  private set() {
    if (this.res.headersSent) return
    this.res.setHeader('x-keygate-attempts', String(this.attempts))
    this.res.setHeader('x-keygate-skipped', this.skipped.length ? this.skipped.join(', ') : 'none')
  }
}

export function wantsExplanation(res: ServerResponse, pk: ProxyKeyRuntime, header: string | string[] | undefined): Explanation | null {
  const v = Array.isArray(header) ? header[0] : header
  return v === '1' || v === 'true' ? new Explanation(res, pk) : null
}
