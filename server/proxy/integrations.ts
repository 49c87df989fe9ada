/**
 * Seams to the usage parsers, the request log and the metrics, which other modules own.
 * Until they land this file holds inert stand-ins with the agreed signatures; afterwards it
 * only re-exports the real ones, so the engine never changes.
 */
import { Transform } from 'node:stream'
import type { ChannelType, KeyStatus, RequestLogRow } from '../../shared/types/rows'

export type Usage = { promptTokens: number; completionTokens: number; cachedTokens: number }
export interface UsageTap { push(chunk: Buffer): void; finish(): Usage | null }
export type RequestLogEntry = Omit<RequestLogRow, 'id'>

export function createUsageTap(_channel: ChannelType, _opts: { stream: boolean }): UsageTap {
  return { push() {}, finish: () => null }
}
export function createInjectedUsageStripper(): Transform {
  return new Transform({ transform(chunk, _enc, cb) { cb(null, chunk) } })
}
export function enqueueRequestLog(_entry: RequestLogEntry): void {}
export const metrics = {
  requestFinished(_m: { route: string; group: string; status: number; durationMs: number; ttftMs: number | null; stream: boolean }) {},
  attempt(_m: { group: string; outcome: 'success' | 'retry' | 'failure' | 'aborted' }) {},
}
export function setKeyStateSource(_fn: () => Record<string, Record<KeyStatus, number>>): void {}
