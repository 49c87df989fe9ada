import { maskSecret } from '../../shared/mask'

/**
 * Replaces every occurrence of `secret` in `text` with its masked form. Upstream error bodies
 * sometimes echo the key they were sent; nothing we log or return may carry it.
 */
export function redactSecret(text: string, secret: string): string {
  if (!secret || !text.includes(secret)) return text
  return text.split(secret).join(maskSecret(secret))
}

/** Picks the human message out of a provider error body (any of the three shapes), else the text. */
export function upstreamErrorMessage(raw: string): string {
  try {
    const j = JSON.parse(raw) as any
    const e = Array.isArray(j) ? j[0]?.error : j?.error
    const msg = typeof e === 'string' ? e : e?.message ?? j?.message
    if (typeof msg === 'string' && msg) return msg
  } catch {}
  return raw.trim().slice(0, 500)
}
