import { JsonObjectScanner, type ScanKey } from './jsonObjectScanner'

export { scanKey } from './jsonObjectScanner'

/** `cacheWriteTokens`: input written to a prompt cache (Anthropic bills it apart), part of `promptTokens`. */
export type Usage = { promptTokens: number; completionTokens: number; cachedTokens: number; cacheWriteTokens?: number }

/** The proxy feeds every upstream body chunk to `push` as it forwards it, then calls `finish` once. */
export interface UsageTap {
  push(chunk: Buffer): void
  finish(): Usage | null
}

export type UsageObject = Record<string, unknown>

/**
 * Reads token usage without holding the body: it searches each chunk for the provider's usage
 * key and parses only that small object (see JsonObjectScanner), so plain JSON bodies, SSE
 * streams and Gemini's streamed JSON arrays are read the same way and a 10 MB body costs a native
 * byte search, not a copy and a JSON.parse. Each channel's dialect says which key and how to
 * read the object it finds.
 */
export abstract class UsageScanner extends JsonObjectScanner implements UsageTap {
  protected abstract onUsage(o: UsageObject): void
  abstract finish(): Usage | null

  protected onObject(json: string) {
    let v: unknown
    try { v = JSON.parse(json) } catch { return }
    if (v && typeof v === 'object') this.onUsage(v as UsageObject)
  }
}

/** For APIs whose usage objects are cumulative (or sent once): the last one wins. */
export class LastUsageTap extends UsageScanner {
  private usage: Usage | null = null

  constructor(key: ScanKey, private readonly read: (o: UsageObject) => Usage | undefined) { super(key) }

  protected onUsage(o: UsageObject) {
    const u = this.read(o)
    if (u) this.usage = u
  }

  finish(): Usage | null { return this.usage }
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

export function nested(o: unknown, key: string): number | undefined {
  return o && typeof o === 'object' ? num((o as UsageObject)[key]) : undefined
}
