import { maskSecret } from '../../shared/mask'

/**
 * Replaces every occurrence of `secret` in `text` with its masked form. Upstream error bodies
 * sometimes echo the key they were sent; nothing we log or return may carry it.
 */
export function redactSecret(text: string, secret: string): string {
  if (!secret || !text.includes(secret)) return text
  return text.split(secret).join(maskSecret(secret))
}

/** `value[key]` when `value` is an object (arrays included), else undefined. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}

/** Picks the human message out of a provider error body (any of the three shapes), else the text. */
export function upstreamErrorMessage(raw: string): string {
  try {
    const j: unknown = JSON.parse(raw)
    const e = Array.isArray(j) ? field(j[0], 'error') : field(j, 'error')
    const msg = typeof e === 'string' ? e : field(e, 'message') ?? field(j, 'message')
    if (typeof msg === 'string' && msg) return msg
  } catch {}
  return raw.trim().slice(0, 500)
}
