/** Helpers for the limit suites: minute windows, and the request log as the API lists it. */
import type { RunningServer } from '../../support/server'

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/**
 * Per-minute windows are calendar minutes: a burst that straddles one would see two windows.
 * Waits for the next minute when fewer than `needMs` are left in this one.
 */
export async function awayFromMinuteEdge(needMs = 15_000) {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < needMs) await sleep(left + 50)
}

/** Waits until the request log holds `n` final rows for the proxy key (the log is written each second). */
export async function finalLogs(server: RunningServer, proxyKeyId: number, n: number, timeoutMs = 10_000): Promise<any[]> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const r = await server.api('GET', `/api/logs?proxyKeyId=${proxyKeyId}&type=final&pageSize=500`)
    if (r.body.items?.length >= n) return r.body.items
    if (Date.now() > end) throw new Error(`expected ${n} final log rows, have ${r.body.items?.length}: ${JSON.stringify(r.body).slice(0, 500)}`)
    await sleep(100)
  }
}

export async function proxyKeyId(server: RunningServer, name: string): Promise<number> {
  const r = await server.api('GET', `/api/proxy-keys?q=${encodeURIComponent(name)}`)
  const k = r.body.items.find((i: any) => i.name === name)
  if (!k) throw new Error(`no proxy key ${name}`)
  return k.id
}
