import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../support/proxySeed'
import { steadyTraffic } from '../support/traffic'

/**
 * Fault matrix, storage row: the SQLite file's disk fills up while the proxy logs (DATA_DIR on a
 * small tmpfs of its own). A read-only file cannot be imposed on a running process's open files
 * (a remount answers EBUSY, and root ignores file modes), so the full disk stands for both. Expected: the proxy serves every request
 * meanwhile; /ready stays 200 and says `database: "writes failing"`; the request log keeps its
 * rows in memory and writes them once the disk takes writes again (within the writer's 60 s retry
 * window nothing is lost); no key changes state; recovery needs no restart.
 * Needs `mount -t tmpfs` (root, as in CI): skipped with that reason otherwise.
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'keygate-fault-tmpfs-'))
const canMount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]).status === 0
const KEY = 'sk-fault-sqlite-upstream-000000001'
let mock: MockUpstream
let s: Seeded
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const ready = async () => { const r = await fetch(`${s.server.url}/ready`); return { status: r.status, body: await r.json() as any } }

describe.skipIf(!canMount)(`fault matrix: SQLite disk full${canMount ? '' : ' (skipped: mount -t tmpfs is not permitted here; CI runs as root)'}`, () => {
  beforeAll(async () => {
    mock = await startMockUpstream()
    s = await startSeeded([{ name: 'g', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], keys: [KEY] }], [{}], { dataDir: mountPoint })
  }, 60_000)
  afterAll(async () => {
    await s?.server.stop()
    await mock?.close()
    spawnSync('umount', [mountPoint])
    try { rmdirSync(mountPoint) } catch {}
  })

  async function logged(): Promise<number> {
    const r = await s.server.api('GET', '/api/logs?type=final&pageSize=1')
    return r.status === 200 ? r.body.total : -1
  }

  /** Runs traffic through the fault, ends it, and checks service, honesty and recovery. */
  async function row(startFault: () => void, endFault: () => void) {
    expect((await ready()).body).toMatchObject({ status: 'ready', database: 'ok' })
    const before = await logged()
    const traffic = steadyTraffic(`${s.server.url}/v1`, s.proxyKeys[0]!)
    await sleep(500)
    startFault()
    // The writer notices on its next write (every second): by then /ready says so.
    const end = Date.now() + 10_000
    let during = await ready()
    while (Date.now() < end && during.body.database === 'ok') { await sleep(250); during = await ready() }
    expect(during.status).toBe(200)
    expect(during.body).toMatchObject({ status: 'degraded', database: 'writes failing' })
    await sleep(3000)
    endFault()
    await sleep(500)
    const result = await traffic.stop()
    expect(result.failures).toEqual([])
    expect(result.served).toBe(result.sent)
    const until = Date.now() + 30_000
    while (Date.now() < until && (await logged()) - before < result.sent) await sleep(500)
    expect((await logged()) - before).toBe(result.sent)
    expect((await ready()).body).toMatchObject({ status: 'ready', database: 'ok' })
    const [k] = await keyRows(s.server, s.groupIds.g!)
    expect({ status: k.status, consecutiveFailures: k.consecutiveFailures }).toEqual({ status: 'active', consecutiveFailures: 0 })
  }

  it('the disk fills up while logging: served throughout, reported, every row written once there is room', async () => {
    const filler = join(mountPoint, 'filler')
    await row(() => {
      const fd = openSync(filler, 'w')
      const block = Buffer.alloc(1024 * 1024)
      try { for (;;) writeSync(fd, block) } catch { /* ENOSPC: the disk is full */ }
      // The last partial megabyte too.
      const small = Buffer.alloc(4096)
      try { for (;;) writeSync(fd, small) } catch {}
      closeSync(fd)
    }, () => rmSync(filler))
  }, 120_000)
})
