import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { JsonBody } from './channels'
import type { RequestContext } from './context'
import { mix, type AffinitySeeds } from './keypool/affinity'
import type { PoolKey } from './keypool/types'
import type { GroupRuntime } from './registry'
import type { UsageTap } from './usage'

/**
 * Sticky keys. Provider prompt caches and OpenAI's stored objects belong to one account, so a
 * conversation that hops keys pays full price for its prompt or finds its previous response
 * missing. Two things pin a request to a key:
 * - an affinity hint (`x-keygate-affinity`, else OpenAI `prompt_cache_key` or `user`, Anthropic
 *   `metadata.user_id`, Gemini `cachedContent`): the key pool's consistent choice for that hint
 *   (keypool/affinity.ts), while it is usable;
 * - an object created through Keygate (a Response, file, vector store or batch): the request that
 *   names it (`previous_response_id`, `input_file_id`, `/v1/responses/{id}`…) goes to the group and
 *   key that created it, found in the Store (cluster-wide with Redis) for OBJECT_TTL_MS.
 * When the pinned key is not usable the request takes the next key in the hint's order, else the
 * usual rotation.
 */

/** Created objects are remembered this long (OpenAI keeps stored responses 30 days; most conversations go on within days). */
export const OBJECT_TTL_MS = 7 * 24 * 3600_000
/** Only this much of a hint is hashed: a hostile 30 MB `user` costs no more than a short one. */
const MAX_HINT_CHARS = 4096
/** Object ids as providers make them (`resp_…`, `file-…`, `vs_…`, `batch_…`); anything else is not looked up. */
const OBJECT_ID = /^[A-Za-z0-9_-]{1,200}$/
const OBJECT_PATH = /^\/v1\/(?:responses|files|vector_stores|batches)\/([A-Za-z0-9_-]{1,200})(?:\/|$)/
const CREATING_PATHS = new Set(['/v1/responses', '/v1/files', '/v1/uploads', '/v1/vector_stores', '/v1/batches'])
/** The id is near the start of the answer (first field, or the `response.created` event); past this, stop looking. */
const ID_SEARCH_CHARS = 8192
const ANSWER_ID = /"id"\s*:\s*"([A-Za-z0-9_-]{1,200})"/

export type Sticky = {
  seeds: AffinitySeeds | null
  /** Store key of the object this request names, if any. */
  objectRef: string | null
  /** Where that object was created (resolved from the Store). */
  owner: { groupId: number; keyId: number } | null
  /** Whether a successful answer creates an object whose id to remember. */
  records: boolean
  /** Keys already tried by this request: a retry after a failure moves on. */
  tried: Set<number>
}

function str(v: unknown): string | null { return typeof v === 'string' && v.length > 0 ? v : null }

/** The request's affinity hint, or null. */
export function affinityHint(headers: IncomingHttpHeaders, json: JsonBody | null): string | null {
  const h = headers['x-keygate-affinity']
  const header = str(Array.isArray(h) ? h[0] : h)
  if (header) return header
  if (!json) return null
  const md = json.metadata
  return str(json.prompt_cache_key) ?? (md && typeof md === 'object' ? str((md as JsonBody).user_id) : null) ?? str(json.cachedContent) ?? str(json.user)
}

export function seedsOf(hint: string): AffinitySeeds {
  const d = createHash('sha256').update(hint.length > MAX_HINT_CHARS ? hint.slice(0, MAX_HINT_CHARS) : hint).digest()
  return { bucket: d.readUInt32LE(0), key: d.readUInt32LE(4) }
}

function objectNamed(path: string, json: JsonBody | null): string | null {
  const m = OBJECT_PATH.exec(path)
  if (m) return m[1]!
  if (!json) return null
  const id = str(json.previous_response_id) ?? str(json.input_file_id)
  return id && OBJECT_ID.test(id) ? id : null
}

/** Scoped by proxy key: another consumer who learns an id gets no help reaching the account behind it. */
const objectKey = (proxyKeyId: number, id: string) => `owner:${proxyKeyId}:${id}`

/** What makes this request sticky, or null for an ordinary one (no cost beyond a few property reads). */
export function stickyRequest(ctx: RequestContext): Sticky | null {
  const hint = affinityHint(ctx.req.headers, ctx.json)
  const named = objectNamed(ctx.path, ctx.json)
  const records = ctx.method === 'POST' && CREATING_PATHS.has(ctx.path) && ctx.json?.store !== false
  if (!hint && !named && !records) return null
  const objectRef = named ? objectKey(ctx.pk.row.id, named) : null
  return { seeds: hint ? seedsOf(hint) : null, objectRef, owner: null, records, tried: new Set() }
}

/** Finds the named object's owner; its group, when a candidate, goes first. */
export async function resolveOwner(ctx: RequestContext, sticky: Sticky, candidates: GroupRuntime[]): Promise<GroupRuntime[]> {
  if (!sticky.objectRef) return candidates
  let v: string | null = null
  try { v = await ctx.engine.store.get(sticky.objectRef) } catch {}
  const m = v ? /^(\d+):(\d+)$/.exec(v) : null
  if (!m) return candidates
  sticky.owner = { groupId: Number(m[1]), keyId: Number(m[2]) }
  const i = candidates.findIndex(g => g.row.id === sticky.owner!.groupId || g.subGroups.some(s => s.group.row.id === sticky.owner!.groupId))
  return i <= 0 ? candidates : [candidates[i]!, ...candidates.slice(0, i), ...candidates.slice(i + 1)]
}

/**
 * An aggregate's member for this request: the owner's, else the hint's by weighted rendezvous over
 * the members that have a usable key (so a conversation stays in one member as it stays on one
 * key); null when nothing pins it (the caller rotates by weight).
 */
export function stickyMember(sticky: Sticky, g: GroupRuntime, now: number): GroupRuntime | null {
  if (g.row.type !== 'aggregate') return null
  let best: GroupRuntime | null = null
  let top = -1
  for (const s of g.subGroups) {
    const m = s.group
    if (s.weight <= 0 || !m.row.enabled || !m.pool.hasUsable(now)) continue
    if (sticky.owner?.groupId === m.row.id) return m
    if (!sticky.seeds) continue
    const score = s.weight / -Math.log((mix(sticky.seeds.bucket ^ mix(m.row.id)) + 0.5) / 4294967296)
    if (score > top) { top = score; best = m }
  }
  return best
}

/**
 * The pinned key of `g` for this request, under `keyRpm` (counted like every other pick), or null
 * when none is usable: the caller rotates. `onSkip` hears why a pinned key was passed over.
 */
export async function stickyKey(
  ctx: RequestContext, sticky: Sticky, g: GroupRuntime, keyRpm: number, now: number, onSkip: (why: string) => void,
): Promise<PoolKey | null> {
  for (let i = 0; i < 4; i++) {
    let k: PoolKey | null = null
    const owner = sticky.owner?.groupId === g.row.id ? g.pool.byId.get(sticky.owner.keyId) : undefined
    if (owner && !sticky.tried.has(owner.id)) {
      if (g.pool.isUsable(owner, now)) k = owner
      else { onSkip(`${g.row.name} key ${owner.id}: owner ${owner.parked ? 'over key_rpm' : owner.status}`); sticky.tried.add(owner.id) }
    }
    if (!k && sticky.seeds) k = g.pool.pinned(sticky.seeds, now, x => sticky.tried.has(x.id))
    if (!k) return null
    if (keyRpm <= 0) return k
    const minute = Math.floor(now / 60_000)
    let n = 0
    try { n = await ctx.engine.store.incr(`key-rpm:${k.id}:${minute}`, 1, 61_000) } catch {}
    if (n <= keyRpm) return k
    g.pool.park(k, (minute + 1) * 60_000)
    onSkip(`${g.row.name} key ${k.id}: over key_rpm`)
  }
  return null
}

/**
 * Wraps the answer's usage tap to remember a created object's id (read from the first bytes as
 * they pass, nothing held back). The Store write starts before the bytes that carry the id reach
 * the client, so a follow-up request finds it.
 */
export function recordingTap(ctx: RequestContext, sticky: Sticky, inner: UsageTap, g: GroupRuntime, key: PoolKey): UsageTap {
  if (!sticky.records) return inner
  let head = ''
  let looking = true
  return {
    push(chunk) {
      if (looking) {
        head += chunk.toString('latin1', 0, Math.min(chunk.length, ID_SEARCH_CHARS))
        const m = ANSWER_ID.exec(head)
        if (m) {
          looking = false
          ctx.engine.store.set(objectKey(ctx.pk.row.id, m[1]!), `${g.row.id}:${key.id}`, OBJECT_TTL_MS).catch(() => {})
        } else if (head.length >= ID_SEARCH_CHARS) looking = false
      }
      inner.push(chunk)
    },
    finish: () => inner.finish(),
  }
}
