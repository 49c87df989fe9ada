import { request } from 'undici'
import type { KeyTestResult } from '../../shared/schemas/keys'
import { withGroupConfig, type SettingsMap } from '../../shared/settings'
import type { GroupRow } from '../../shared/types/rows'
import type { UpstreamDispatchers } from './upstreamPools'
import { channelFor, joinUrl } from './channels'
import { redactSecret, upstreamErrorMessage } from './redact'

/** The first upstream a validation may use: enabled means weight > 0. */
function validationUpstream(group: GroupRow): string | null {
  return group.upstreams.find(u => u.weight > 0)?.url ?? null
}

/**
 * Sends the group's validation request with `key` (what GPT-Load sends for the channel, or the
 * group's `validationPath`). A 2xx means valid. `status` is the upstream's, or 0 when it never
 * answered. The error text never contains the key.
 */
export async function validateKey(
  group: GroupRow, key: string, system: SettingsMap, dispatchers: UpstreamDispatchers, opts: { timeoutMs?: number } = {},
): Promise<KeyTestResult> {
  const started = Date.now()
  const base = validationUpstream(group)
  if (!base) return { ok: false, status: 0, latencyMs: 0, error: 'the group has no enabled upstream' }
  const settings = withGroupConfig(system, group.config)
  const timeoutMs = opts.timeoutMs ?? settings.key_validation_timeout_seconds * 1000
  const spec = channelFor(group.channel).validationRequest(group, key)
  let url: URL
  try { url = new URL(joinUrl(base, spec.path)) } catch {
    return { ok: false, status: 0, latencyMs: 0, error: `invalid upstream URL ${base}` }
  }
  try {
    const res = await request(url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      dispatcher: dispatchers.for(url.origin, settings),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.body.text()
    const latencyMs = Date.now() - started
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, latencyMs, error: null }
    const message = redactSecret(upstreamErrorMessage(text), key) || `HTTP ${res.statusCode}`
    return { ok: false, status: res.statusCode, latencyMs, error: `HTTP ${res.statusCode}: ${message}` }
  } catch (err) {
    const e = err as Error
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError'
    const message = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : redactSecret(e.message || String(e), key)
    return { ok: false, status: 0, latencyMs: Date.now() - started, error: message }
  }
}
