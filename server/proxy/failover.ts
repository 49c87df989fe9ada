import type { IncomingHttpHeaders } from 'node:http'
import { joinUrl } from './channels'
import { classifyFailure, refusesRequest } from './classify'
import { conversionFor, convertedHeaders, prepareConverted, sendConvertedFailure } from './conversion'
import type { RequestContext } from './context'
import { ProxyError, sendError } from './errors'
import { wantsExplanation } from './explain'
import { applyHeaderRules, clientResponseHeaders, upstreamRequestHeaders } from './headers'
import { recordFailure, recordSuccess } from './keypool/transitions'
import type { PoolKey } from './keypool/types'
import { redactSecret, upstreamErrorMessage } from './redact'
import { agentOf, settingsOf, type GroupRuntime, type UpstreamTarget } from './registry'
import { UpstreamAttempt, type AttemptOutcome } from './relay'
import { prepareRequest, type PreparedRequest } from './prepare'
import { isPaced, pickPacedKey, releasePacedKey } from './keypool/pacing'
import { usageCost } from './limits/accounting'
import { recordingTap, resolveOwner, stickyKey, stickyMember, stickyRequest } from './sticky'
import type { Usage } from './usage'
import { pickWeighted } from './wrr'

/** A failed attempt we may still hand to the client if nothing better comes. */
type Failure = { status: number; headers: IncomingHttpHeaders; text: string; key: PoolKey; log: LogFields; blamedKey: boolean }

type LogFields = {
  target: GroupRuntime
  parent: GroupRuntime | null
  key: PoolKey
  upstream: UpstreamTarget
  prepared: PreparedRequest
  status: number
  success: boolean
  attemptStarted: number
  ttftMs: number | null
  usage: Usage | null
  error: string | null
  responseBody: string | null
}

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }
const tokensOf = (u: Usage | null) => (u ? u.promptTokens + u.completionTokens : 0)

function writeLog(ctx: RequestContext, f: LogFields, type: 'retry' | 'final') {
  const end = Date.now()
  const logBody = settingsOf(f.target, ctx.engine.settings).settings.request_log_body
  const u = f.usage ?? NO_USAGE
  const cost = f.usage ? usageCost(ctx, f.target, f.prepared, f.usage, end) : 0
  ctx.engine.requestLog.record({
    time: f.attemptStarted, groupId: f.target.row.id, groupName: f.target.row.name, parentGroupId: f.parent?.row.id ?? null,
    keyId: f.key.id, keyMasked: f.key.masked, proxyKeyId: ctx.pk.row.id, model: f.prepared.model, upstreamModel: f.prepared.upstreamModel,
    path: f.prepared.path, upstream: f.upstream.url, status: f.status, success: f.success, type, stream: f.prepared.stream,
    // The final record spans the whole request; a retry record only its own attempt.
    durationMs: end - (type === 'final' ? ctx.started : f.attemptStarted), ttftMs: f.ttftMs,
    promptTokens: u.promptTokens, completionTokens: u.completionTokens, cachedTokens: u.cachedTokens,
    error: f.error === null ? null : redactSecret(f.error, f.key.secret), ip: ctx.ip, userAgent: ctx.userAgent,
    requestBody: logBody ? redactSecret(ctx.rawBody.subarray(0, 65536).toString('utf8'), f.key.secret) : null,
    responseBody: logBody && f.responseBody !== null ? redactSecret(f.responseBody, f.key.secret) : null,
    requestId: ctx.requestId, cost, clientApi: ctx.clientApi, channelApi: f.target.channel.type,
  })
}

/**
 * Origin and path of the upstream URL, for undici's dispatcher: from the joined string when it
 * starts with the target's origin (always, for URLs we validated), or parsed when it does not.
 */
function upstreamOriginAndPath(upstream: UpstreamTarget, path: string, query: string): { origin: string; path: string } {
  const url = joinUrl(upstream.url, path, query)
  if (url.startsWith(upstream.origin + '/')) return { origin: upstream.origin, path: url.slice(upstream.origin.length) }
  const u = new URL(url)
  return { origin: u.origin, path: u.pathname + u.search }
}

function pickTarget(g: GroupRuntime, now: number, spent: Set<GroupRuntime>): GroupRuntime | null {
  if (g.row.type !== 'aggregate') return spent.has(g) ? null : g
  return pickWeighted(g.subGroups, s => s.group.row.enabled && !spent.has(s.group) && s.group.pool.hasUsable(now))?.group ?? null
}

/**
 * Tries the candidate groups in order (unified routes: by priority), each attempt with the next
 * key, until one answers. Each group (in an aggregate, each sub-group) has its own `max_retries`
 * budget: a group whose keys are all refused, throttled, failing or used up hands the same
 * request over to the next, since another group may well serve it. Nothing is retried once a
 * byte has gone to the client, nor after an answer that is the request's own fault.
 */
export async function serveWithFailover(ctx: RequestContext, candidates: GroupRuntime[]): Promise<void> {
  const { engine } = ctx
  const explain = wantsExplanation(ctx.res, ctx.pk, ctx.req.headers['x-keygate-explain'])
  const sticky = stickyRequest(ctx)
  if (sticky) candidates = await resolveOwner(ctx, sticky, candidates)
  const metrics = engine.metrics
  const baseHeaders = upstreamRequestHeaders(ctx.req.headers)
  let failure: Failure | null = null
  let nearestWake: number | null = null
  /** Keys were there but all at their pacing limits: 429, not 503. */
  let pacedOut = false
  /** Attempts per group that made them; a group at its budget is spent for this request. */
  const attemptsBy = new Map<GroupRuntime, number>()
  const spent = new Set<GroupRuntime>()

  groups: for (const g of candidates) {
    while (!ctx.clientGone) {
      const now = Date.now()
      // A sticky member is preferred until its own budget is spent, like any other target.
      const member = sticky ? stickyMember(sticky, g, now) : null
      const target = member && !spent.has(member) ? member : pickTarget(g, now, spent)
      if (!target) {
        // Spent for this request (its budget used, or its keys found unusable and named already) is not "no usable key".
        if ((attemptsBy.get(g) ?? 0) > settingsOf(g, engine.settings).settings.max_retries) explain?.skip(`${g.row.name}: max_retries used up`)
        else if (!spent.has(g) && !g.subGroups.some(m => spent.has(m.group))) explain?.skip(`${g.row.name}: no usable key`)
        break
      }
      const s = settingsOf(target, engine.settings)
      const paced = isPaced(s.settings)
      // A sticky key is taken as the sticky module decides (key_rpm only); pacing counts the keys it picks itself.
      let pacedPick = false
      let key = sticky ? await stickyKey(ctx, sticky, target, s.settings.key_rpm, now, why => explain?.skip(why)) : null
      if (!key) {
        pacedPick = paced
        key = paced
          ? await pickPacedKey(engine.pacing, target.pool, s.settings, Math.ceil(ctx.rawBody.length / 4), () => ctx.clientGone)
          : target.pool.next(now)
      }
      if (!key) {
        if (paced && (target.pool.parkedCount || target.pool.heldCount)) pacedOut = true
        explain?.skip(`${explain.label(g, target)}: no usable key`)
        const w = target.pool.nextWake()
        if (w !== null && (nearestWake === null || w < nearestWake)) nearestWake = w
        spent.add(target)
        continue
      }
      const upstream = pickWeighted(target.upstreams)
      if (!upstream) { spent.add(target); continue }
      const converting = conversionFor(ctx.conversion, target)
      const prepared = converting
        ? prepareConverted(ctx.conversion!, target, converting)
        : prepareRequest(target, target.channel, ctx.path, ctx.query, ctx.rawBody, ctx.json)
      const made = (attemptsBy.get(target) ?? 0) + 1
      attemptsBy.set(target, made)
      if (made > s.settings.max_retries) spent.add(target)
      sticky?.tried.add(key.id)
      explain?.attempt(g, target, key)
      if (failure) { writeLog(ctx, failure.log, 'retry'); failure = null }

      const headers = converting ? convertedHeaders(baseHeaders, prepared.stream) : { ...baseHeaders }
      target.channel.setKey(headers, key.secret, prepared.path)
      if (target.row.headerRules?.length) {
        applyHeaderRules(headers, target.row.headerRules, { clientIp: ctx.ip, groupName: target.row.name, apiKey: key.secret, now })
      }
      const attemptStarted = Date.now()
      const log: LogFields = {
        target, parent: target === g ? null : g, key, upstream, prepared,
        status: 0, success: false, attemptStarted, ttftMs: null, usage: null, error: null, responseBody: null,
      }

      let timedOut = false
      const attempt = new UpstreamAttempt(ctx.res, () => {
        // A usable answer: from here on the client receives bytes, so this attempt is final.
        recordSuccess(target.pool, key, engine.sink)
        const tap = target.channel.dialect(prepared.path).usageTap()
        return {
          dialect: ctx.dialect, stream: prepared.stream,
          tap: sticky ? recordingTap(ctx, sticky, tap, target, key) : tap,
          filter: prepared.answer ? prepared.answer() : prepared.injectedUsage ? target.channel.streamUsage!.stripper() : null,
          onFirstByte: () => { log.ttftMs = Date.now() - ctx.started },
          captureBytes: s.settings.request_log_body ? 65536 : 0,
        }
      })
      const timer = setTimeout(() => { timedOut = true; attempt.abort(new Error('request_timeout')) }, s.settings.request_timeout * 1000)
      ctx.abortAttempt = () => attempt.abort(new Error('the client closed the request'))
      let outcome: AttemptOutcome
      try {
        const method = ctx.method
        const body = method === 'GET' || method === 'HEAD' ? null : prepared.body
        const { origin, path } = upstreamOriginAndPath(upstream, prepared.path, prepared.query ?? ctx.queryString)
        agentOf(upstream, s.settings, engine.dispatchers).dispatch({ origin, path, method: method as 'POST', headers, body }, attempt)
        outcome = await attempt.done
      } catch (err) {
        clearTimeout(timer)
        if (pacedPick) releasePacedKey(engine.pacing, target.pool, key, s.settings, 0)
        if (ctx.clientGone) return clientClosed(ctx, log)
        log.status = timedOut ? 504 : 502
        log.error = timedOut ? `upstream did not answer within ${s.settings.request_timeout} s` : `upstream unreachable: ${(err as Error).message || (err as Error).name}`
        metrics.attempt({ group: target.row.name, outcome: 'retry' })
        explain?.skip(`${explain.label(g, target)} key ${key.id}: ${timedOut ? 'timeout' : 'unreachable'}`)
        failure = { status: log.status, headers: {}, text: '', key, log, blamedKey: false }
        continue
      }
      clearTimeout(timer)
      if (pacedPick) releasePacedKey(engine.pacing, target.pool, key, s.settings, outcome.kind === 'refused' ? 0 : tokensOf(outcome.usage))

      if (outcome.kind === 'refused') {
        const { status, headers: resHeaders, text } = outcome
        if (ctx.clientGone) return clientClosed(ctx, log)
        const verdict = classifyFailure({
          status, headers: resHeaders, bodyText: text, now: Date.now(),
          cooldownSeconds: s.settings.cooldown_seconds, isBanStatus: s.isBan, rules: target.channel.keyErrors,
        })
        log.status = status
        log.error = `HTTP ${status}: ${redactSecret(upstreamErrorMessage(text), key.secret)}`
        log.responseBody = text.slice(0, 65536)
        recordFailure(target.pool, key, verdict, s.settings.blacklist_threshold, log.error, engine.sink)
        failure = { status, headers: resHeaders, text, key, log, blamedKey: verdict.kind === 'blame' || verdict.kind === 'ban' }
        explain?.skip(`${explain.label(g, target)} key ${key.id}: HTTP ${status}`)
        if (!refusesRequest(status, verdict) && s.isFailover(status)) { metrics.attempt({ group: target.row.name, outcome: 'retry' }); continue }
        break groups
      }

      const { status, result } = outcome
      log.usage = outcome.usage
      log.responseBody = s.settings.request_log_body ? outcome.captured : null
      if (result.kind === 'client-closed') { ctx.clientGone = true; return clientClosed(ctx, log) }
      log.status = result.kind === 'done' ? status : 502
      log.success = result.kind === 'done' && status < 400
      log.error = result.kind === 'upstream-error' ? (timedOut ? `upstream exceeded request_timeout (${s.settings.request_timeout} s) mid-response` : result.error) : null
      metrics.attempt({ group: target.row.name, outcome: log.success ? 'success' : 'failure' })
      writeLog(ctx, log, 'final')
      finished(ctx, g, log.status, log.ttftMs, prepared.stream)
      return
    }
    if (ctx.clientGone) break
  }

  if (ctx.clientGone) {
    if (failure) return clientClosed(ctx, failure.log)
    return
  }
  if (failure) {
    metrics.attempt({ group: failure.log.target.row.name, outcome: 'failure' })
    writeLog(ctx, failure.log, 'final')
    sendUpstreamFailure(ctx, failure)
    finished(ctx, candidates[0]!, failure.status, null, failure.log.prepared.stream)
    return
  }
  const retryAfter = nearestWake !== null ? Math.max(1, (nearestWake - Date.now()) / 1000) : undefined
  if (pacedOut) throw new ProxyError(429, 'every upstream key of this group is at its pacing limit (key_rpm, key_tpm, key_concurrency or key_daily_requests); retry later', 'rate_limit_exceeded', retryAfter ?? 1)
  throw new ProxyError(503, 'no upstream key is available right now; try again later', 'no_available_key', retryAfter)
}

function finished(ctx: RequestContext, g: GroupRuntime, status: number, ttftMs: number | null, stream: boolean) {
  ctx.engine.metrics.requestFinished({ route: ctx.route, group: g.row.name, status, durationMs: Date.now() - ctx.started, ttftMs, stream })
}

/** The client left: 499 in the log, and the key is not blamed. */
function clientClosed(ctx: RequestContext, log: LogFields) {
  log.status = 499
  log.success = false
  log.error = 'the client closed the request'
  ctx.engine.metrics.attempt({ group: log.target.row.name, outcome: 'aborted' })
  writeLog(ctx, log, 'final')
  finished(ctx, log.parent ?? log.target, 499, log.ttftMs, log.prepared.stream)
}

/**
 * Every attempt failed: the client gets the last upstream answer (its key scrubbed), or ours.
 * When that answer blamed our upstream key (bad key, suspended account, billing), passing it on would tell the
 * client its own key is bad; it is the pool that has no usable key, so: 503.
 */
function sendUpstreamFailure(ctx: RequestContext, f: Failure) {
  if (f.blamedKey) {
    sendError(ctx.res, ctx.dialect, new ProxyError(503, `no usable upstream key: the last one was refused (${f.log.error ?? `HTTP ${f.status}`})`, 'no_available_key'))
    return
  }
  if (f.log.prepared.answer) {
    sendConvertedFailure(ctx.res, ctx.dialect, f.status, f.headers, f.text, f.key.secret)
    return
  }
  if (!f.text) {
    sendError(ctx.res, ctx.dialect, new ProxyError(f.status, f.log.error ?? 'upstream failed', 'upstream_error'))
    return
  }
  const body = redactSecret(f.text, f.key.secret)
  const headers = clientResponseHeaders(f.headers, false)
  headers['content-length'] = Buffer.byteLength(body)
  if (!ctx.res.headersSent) ctx.res.writeHead(f.status, headers)
  ctx.res.end(body)
}
