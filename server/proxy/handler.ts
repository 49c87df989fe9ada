import type { IncomingMessage, ServerResponse } from 'node:http'
import { clientAddress } from '../../shared/clientIp'
import { parseRequestBody, readRequestBody } from './body'
import { fallbackDialect, unifiedChannels, type Channel, type Dialect } from './channels'
import type { RequestContext } from './context'
import { clientApiOf, convertibleApi, planConversion, preferNative, reachableByConversion } from './conversion'
import { decodedPath, unsafePathProblem } from './endpoints'
import { serveWithFailover } from './failover'
import type { Engine } from './engine'
import { ProxyError, sendError, sendJson } from './errors'
import { reachableModels } from './modelList'
import { MAX_MODEL_LENGTH } from './models'
import type { ProxyRoute } from './ports'
import { admit, authenticate, clientCredential, release } from './proxyKeys'
import { gatewayBusy, giveSlots, takeGatewaySlot, takeKeySlot } from './sharedSlots'
import type { GroupRuntime } from './registry'

const EMPTY = Buffer.alloc(0)
const NO_QUERY = new URLSearchParams()
const NO_CHANNELS: readonly Channel[] = []
/**
 * A body too slow to arrive: the connection is closed after the 408 rather than drained. Other
 * refusals (413, 503, 401…) leave the rest of the body to Node to discard, so a client that sends
 * its whole body before reading (fetch, the SDKs) still gets the answer instead of a broken pipe.
 */
const CLOSE_CONNECTION = { connection: 'close' }

function applyCors(cors: Engine['options']['cors'], req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin
  const any = cors.origins.length === 0 || cors.origins.includes('*')
  if (origin && (any || cors.origins.includes(origin))) {
    res.setHeader('access-control-allow-origin', any ? '*' : origin)
    if (!any) res.setHeader('vary', 'origin')
    res.setHeader('access-control-expose-headers', '*')
  }
  if (req.method !== 'OPTIONS') return false
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '86400',
  })
  res.end()
  return true
}

/** `/proxy/{group}/{path}` and the unified routes: authenticate, pick groups, hand over to dispatch. */
export async function handleProxy(engine: Engine, req: IncomingMessage, res: ServerResponse, route: ProxyRoute): Promise<void> {
  const started = Date.now()
  const rawUrl = req.url ?? '/'
  const q = rawUrl.indexOf('?')
  let pathname = q < 0 ? rawUrl : rawUrl.slice(0, q)
  // Most requests carry no query string: share one empty (never modified) instance for them.
  const query = q < 0 ? NO_QUERY : new URLSearchParams(rawUrl.slice(q + 1))
  const queryKey = query.get('key')
  if (queryKey !== null) query.delete('key')

  let group: GroupRuntime | undefined
  /** Unified routes: the channels whose API this is. */
  let channels: readonly Channel[] = NO_CHANNELS
  let dialect: Dialect = fallbackDialect
  if (route.kind === 'group') {
    const prefix = `/proxy/${route.group}`
    pathname = pathname.startsWith(prefix) ? pathname.slice(prefix.length) || '/' : pathname
    group = engine.registry.byName.get(route.group)
    if (group) dialect = group.channel.dialect(pathname)
  } else {
    channels = unifiedChannels(pathname, req.headers)
    if (channels.length) dialect = channels[0]!.dialect(pathname)
  }

  const unsafe = unsafePathProblem(q < 0 ? rawUrl : rawUrl.slice(0, q))
  if (unsafe) { sendError(res, dialect, new ProxyError(400, unsafe, 'invalid_path')); return }

  const { options } = engine
  if (options.cors.enabled && applyCors(options.cors, req, res)) return
  const { slots } = engine
  const slot = slots ? takeGatewaySlot(slots, options.maxConcurrentRequests) : engine.inFlight < options.maxConcurrentRequests
  if (slot !== true && (slot === false || !(await slot))) {
    sendError(res, dialect, gatewayBusy())
    return
  }
  engine.inFlight++
  let ctx: RequestContext | undefined
  let keySlot: string | undefined
  try {
    const ip = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], options.trustProxy)
    const pk = authenticate(engine.proxyKeys, clientCredential(req.headers, queryKey), engine.hash, started, ip)
    ctx = {
      engine, req, res, route: route.kind === 'group' ? 'proxy' : pathname.startsWith('/v1beta/') ? 'v1beta' : 'v1', dialect, started, pk,
      requestId: engine.newRequestId(started), clientApi: clientApiOf(req.method ?? 'GET', pathname, group?.channel ?? channels[0]),
      method: req.method ?? 'GET', query, queryString: query.size ? query.toString() : '', rawBody: EMPTY, bodyLease: { held: 0 }, json: null,
      path: pathname, ip,
      userAgent: String(req.headers['user-agent'] ?? ''),
      model: '', group: group ?? null, clientGone: false, conversion: null, abortAttempt: null,
    }
    if (slots) {
      const taking = takeKeySlot(slots, pk, engine.proxyKeySlots)
      keySlot = typeof taking === 'string' ? taking : await taking
    }
    admit(pk, engine.proxyKeySlots)
    const c = ctx
    res.once('close', () => { if (!res.writableFinished) { c.clientGone = true; c.abortAttempt?.() } })
    try {
      await serve(c, route, group, channels)
    } finally {
      release(pk)
      engine.bodyLimits.budget.release(c.bodyLease)
    }
  } catch (err) {
    const e = err instanceof ProxyError ? err : new ProxyError(500, 'internal gateway error', 'internal_error')
    if (!(err instanceof ProxyError)) engine.log.error({ err }, 'proxy request failed')
    sendError(res, dialect, e, e.status === 408 && !req.complete ? CLOSE_CONNECTION : undefined)
    logRefused(ctx, e)
  } finally {
    engine.inFlight--
    if (slots) giveSlots(slots, keySlot)
  }
}

/** A request refused before any upstream attempt still gets one log record and one metric. */
function logRefused(ctx: RequestContext | undefined, e: ProxyError) {
  if (!ctx) return
  const g = ctx.group
  ctx.engine.requestLog.record({
    time: ctx.started, groupId: g?.row.id ?? null, groupName: g?.row.name ?? '', parentGroupId: null, keyId: null, keyMasked: '',
    proxyKeyId: ctx.pk.row.id, model: ctx.model, upstreamModel: '', path: ctx.path, upstream: '', status: e.status, success: false,
    type: 'final', stream: false, durationMs: Date.now() - ctx.started, ttftMs: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0,
    error: e.message, ip: ctx.ip, userAgent: ctx.userAgent, requestBody: null, responseBody: null,
    requestId: ctx.requestId, cost: 0, clientApi: ctx.clientApi, channelApi: g?.channel.type ?? '',
  })
  ctx.engine.metrics.requestFinished({ route: ctx.route, group: g?.row.name ?? '', status: e.status, durationMs: Date.now() - ctx.started, ttftMs: null, stream: false })
}

async function serve(ctx: RequestContext, route: ProxyRoute, group: GroupRuntime | undefined, channels: readonly Channel[]) {
  const { engine, pk } = ctx
  const groups = engine.registry.ordered
  if (route.kind === 'unified' && ctx.method === 'GET' && channels.length && channels[0]!.isModelList(ctx.path)) {
    sendJson(ctx.res, 200, ctx.dialect.modelList(reachableModels(groups, pk, channels, ctx.path)))
    return
  }

  await readBody(ctx, group?.channel ?? channels[0])

  let candidates: GroupRuntime[]
  let model: string
  if (route.kind === 'group') {
    if (!group || !group.row.enabled) throw new ProxyError(404, `no enabled group named "${route.group}"`, 'group_not_found')
    if (pk.groups && !pk.groups.has(group.row.id)) throw new ProxyError(403, `this proxy key may not use group ${group.row.name}`, 'group_not_allowed')
    if (!group.allowsEndpoint(ctx.method, decodedPath(ctx.path))) throw endpointNotAllowed(ctx)
    candidates = [group]
    model = requestedModel(ctx, group.channel)
  } else {
    model = channels.length ? requestedModel(ctx, channels[0]!) : ''
    // One pass over the groups speaking this API: those that open this endpoint, and of them
    // those serving the model. A request that names no model goes only to groups that serve any
    // model: a group that lists its models must not be reachable by leaving the model out.
    const path = decodedPath(ctx.path)
    // Groups of other APIs that accept conversions serve this API's generation calls too.
    const api = channels.length ? convertibleApi(ctx.method, ctx.path) : null
    let speaking = 0
    let reachable = 0
    let serving: GroupRuntime[] = []
    let converting = false
    for (const g of groups) {
      const native = channels.includes(g.channel)
      if (!native && !reachableByConversion(api, g, channels)) continue
      speaking++
      if (native && !g.allowsEndpoint(ctx.method, path)) continue
      converting ||= !native
      reachable++
      if (model ? g.servesModel(model) : g.servesAnyModel) serving.push(g)
    }
    // An endpoint no group opens is refused first, whatever the model: 404, as if it did not exist.
    if (speaking && !reachable) throw endpointNotAllowed(ctx)
    if (converting) serving = preferNative(serving, channels)
    candidates = pk.groups ? serving.filter(g => pk.groups!.has(g.row.id)) : serving
    if (!candidates.length) {
      if (serving.length) throw new ProxyError(403, `this proxy key may not use any group serving ${model || 'this API'}`, 'group_not_allowed')
      ctx.group = null
      if (!model && reachable)
        throw new ProxyError(403, 'this request names no model, and the groups serving this API serve only the models they list', 'model_required')
      throw new ProxyError(404, model ? `the model "${model}" is not served here` : 'no group serves this API', 'model_not_found')
    }
  }
  if (route.kind === 'unified' && candidates.some(g => !channels.includes(g.channel))) {
    const plan = planConversion(convertibleApi(ctx.method, ctx.path)!, ctx.path, ctx.query, ctx.json, channels, candidates)
    candidates = plan.candidates
    ctx.conversion = plan.conversion
  }
  ctx.group = candidates[0]!
  if (model && !pk.allowsModel(model)) throw new ProxyError(403, `this proxy key may not use the model "${model}"`, 'model_not_allowed')
  if (!model && pk.limitsModels) throw new ProxyError(403, 'this proxy key may use only the models it lists, and this request names no model', 'model_required')
  // rpm, tpm (pre-checked with the body's size, ~4 bytes a token) and budgets: one Store call.
  if (pk.counted) await engine.limits.admit(pk, Math.ceil(ctx.rawBody.length / 4), Date.now())
  await serveWithFailover(ctx, candidates)
}

function endpointNotAllowed(ctx: RequestContext) {
  return new ProxyError(404, `${ctx.method} ${ctx.path} is not an endpoint served here`, 'endpoint_not_allowed')
}

/**
 * Reads and parses the body. `channel` (the group's, or the unified route's API) says whether
 * this is a JSON endpoint, whose body must then be a JSON object.
 */
async function readBody(ctx: RequestContext, channel: Channel | undefined) {
  const raw = await readRequestBody(ctx.req, ctx.engine.bodyLimits, ctx.bodyLease)
  const parsed = parseRequestBody(raw, ctx.method === 'POST' && !!channel?.jsonEndpoint(ctx.path))
  ctx.rawBody = parsed.forward
  ctx.json = parsed.json
}

/** The model the request names ('' for none), refused before any matching when it is implausibly long. */
function requestedModel(ctx: RequestContext, channel: Channel): string {
  let model: string
  try { model = channel.model(ctx.path, ctx.json) } catch { throw new ProxyError(400, 'the model in the path is not validly encoded', 'invalid_model') }
  if (model.length > MAX_MODEL_LENGTH) throw new ProxyError(400, `the model name is longer than ${MAX_MODEL_LENGTH} characters`, 'invalid_model')
  ctx.model = model
  return model
}
