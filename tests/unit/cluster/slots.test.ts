import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { IpcPort } from '../../../server/cluster/port'
import { batchFor, createSlotClient, createSlotLender } from '../../../server/cluster/slots'

/**
 * Two ends of a channel that behave like Node's IPC for this purpose: JSON copies, delivered
 * later and in order. (The integration suite runs the same code over real worker processes.)
 */
function channel(): { worker: IpcPort; primary: IpcPort } {
  const a = new EventEmitter()
  const b = new EventEmitter()
  const end = (self: EventEmitter, other: EventEmitter): IpcPort => ({
    send(m, cb) { const copy = JSON.parse(JSON.stringify(m)); setImmediate(() => other.emit('message', copy)); cb(null); return true },
    on(e, l) { self.on(e, l); return this },
    off(e, l) { self.off(e, l); return this },
  })
  return { worker: end(a, b), primary: end(b, a) }
}

function instance(workers: number) {
  const lender = createSlotLender()
  const links = Array.from({ length: workers }, () => channel())
  for (const l of links) lender.attach(l.primary)
  const clients = links.map(l => createSlotClient(l.worker, workers))
  return { lender, links, clients }
}

describe('concurrency slots across workers', () => {
  it('never lets the workers together hold more than the limit, and refuses only at it', async () => {
    const { clients: [a, b] } = instance(2)
    const results = await Promise.all([...Array.from({ length: 3 }, () => a!.take('k', 4)), b!.take('k', 4)])
    expect(results).toEqual([true, true, true, true])
    expect(await b!.take('k', 4)).toBe(false)
    expect(await a!.take('k', 4)).toBe(false)
    a!.give('k')
    // A keeps the slot it gave back as a spare: B gets it by the primary reclaiming it.
    expect(await b!.take('k', 4)).toBe(true)
    expect(await a!.take('k', 4)).toBe(false)
  })

  it('takes a slot without a round trip while the worker holds a spare one', async () => {
    const { clients: [a] } = instance(2)
    expect(batchFor(320, 2)).toBe(10)
    expect(await a!.take('g', 320)).toBe(true)
    for (let i = 0; i < 9; i++) expect(a!.take('g', 320)).toBe(true)
    expect(a!.take('g', 320)).toBeInstanceOf(Promise)
  })

  it('counts each limit on its own', async () => {
    const { clients: [a, b] } = instance(2)
    expect(await a!.take('x', 1)).toBe(true)
    expect(await b!.take('x', 1)).toBe(false)
    expect(await b!.take('y', 1)).toBe(true)
  })

  it('frees what a worker held when it dies', async () => {
    const { lender, links, clients: [a, b] } = instance(2)
    for (let i = 0; i < 3; i++) expect(await a!.take('k', 3)).toBe(true)
    expect(await b!.take('k', 3)).toBe(false)
    lender.detach(links[0]!.primary)
    for (let i = 0; i < 3; i++) expect(await b!.take('k', 3)).toBe(true)
    expect(await b!.take('k', 3)).toBe(false)
  })

  it('hands slots back in batches so a busy worker does not hoard the limit', async () => {
    const { clients: [a, b] } = instance(2)
    const limit = 64
    const taken = await Promise.all(Array.from({ length: limit }, () => a!.take('k', limit)))
    expect(taken.every(Boolean)).toBe(true)
    for (let i = 0; i < limit; i++) a!.give('k')
    // B can now take the whole limit: A kept at most one batch spare, and that is reclaimed.
    const second = await Promise.all(Array.from({ length: limit }, () => b!.take('k', limit)))
    expect(second.filter(Boolean)).toHaveLength(limit)
    expect(await a!.take('k', limit)).toBe(false)
  })
})
