import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BodyBudget, parseRequestBody, readRequestBody, type BodyLease } from '../../../server/proxy/body'
import type { ProxyError } from '../../../server/proxy/errors'

const status = (fn: () => unknown) => {
  try { fn() } catch (e) { return (e as ProxyError).status }
  return 0
}

describe('parseRequestBody', () => {
  it('reads a JSON object behind whitespace or a BOM, whatever the content type', () => {
    expect(parseRequestBody(Buffer.from(' \n\t{"model":"gpt-4o"}'), false).json).toEqual({ model: 'gpt-4o' })
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"model":"gpt-4o"}')])
    const p = parseRequestBody(bom, true)
    expect(p.json).toEqual({ model: 'gpt-4o' })
    // What goes upstream is what was checked: no BOM an upstream might trip over.
    expect(p.forward.toString()).toBe('{"model":"gpt-4o"}')
  })

  it('forwards the client bytes untouched when nothing could be read differently', () => {
    const raw = Buffer.from('{ "model": "gpt-4o", "messages": [] }')
    expect(parseRequestBody(raw, true).forward).toBe(raw)
    const escapedText = Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"\\u4f60\\u597d"}]}')
    expect(parseRequestBody(escapedText, true).forward).toBe(escapedText)
  })

  it('re-serialises a body that repeats model, so the upstream sees the checked value', () => {
    for (const text of ['{"model":"gpt-4o","model":"gpt-4o-mini"}', '{"m\\u006Fdel":"gpt-4o","model":"gpt-4o-mini"}']) {
      const p = parseRequestBody(Buffer.from(text), true)
      expect(p.json!.model).toBe('gpt-4o-mini')
      expect(p.forward.toString()).toBe('{"model":"gpt-4o-mini"}')
    }
  })

  it('refuses anything but a JSON object on a JSON endpoint, and passes it through elsewhere', () => {
    for (const text of ['', '  ', 'model=gpt-4o', '[1]', '{"model":', '--boundary\r\n']) {
      expect(status(() => parseRequestBody(Buffer.from(text), true))).toBe(400)
      const p = parseRequestBody(Buffer.from(text), false)
      expect(p.json).toBeNull()
      expect(p.forward.toString()).toBe(text)
    }
  })
})

function slowRequest(parts: string[], headers: Record<string, string>, gapMs: number): IncomingMessage {
  const req = Readable.from((async function* () {
    for (const p of parts) { await new Promise(r => setTimeout(r, gapMs)); yield Buffer.from(p) }
  })()) as unknown as IncomingMessage
  Object.assign(req, { method: 'POST', headers, complete: false })
  return req
}

describe('readRequestBody', () => {
  it('gives up with 408 on a body that does not arrive in time', async () => {
    const budget = new BodyBudget(1 << 20)
    const lease: BodyLease = { held: 0 }
    const req = slowRequest(['{', '}'], { 'content-length': '2' }, 200)
    await expect(readRequestBody(req, { maxBytes: 1 << 20, timeoutMs: 50, budget }, lease)).rejects.toMatchObject({ status: 408 })
  })

  it('holds bodies against the shared budget: 503 up front from Content-Length, or while reading, released afterwards', async () => {
    const budget = new BodyBudget(10)
    const limits = { maxBytes: 100, timeoutMs: 1000, budget }
    const a: BodyLease = { held: 0 }
    const body = await readRequestBody(slowRequest(['12345', '678'], { 'content-length': '8' }, 1), limits, a)
    expect(body.toString()).toBe('12345678')
    expect(budget.bytes).toBe(8)
    await expect(readRequestBody(slowRequest(['123'], { 'content-length': '3' }, 1), limits, { held: 0 })).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 })
    const chunked: BodyLease = { held: 0 }
    await expect(readRequestBody(slowRequest(['12', '345'], {}, 1), limits, chunked)).rejects.toMatchObject({ status: 503 })
    budget.release(chunked)
    budget.release(a)
    expect(budget.bytes).toBe(0)
    expect((await readRequestBody(slowRequest(['123'], {}, 1), limits, { held: 0 })).toString()).toBe('123')
  })
})
