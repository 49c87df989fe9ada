const UNGATED = new Set(['/health', '/ready'])

/**
 * Holds API and proxy requests until boot has finished (Nitro does not await async plugins),
 * then hands them the built app on the event context.
 */
export default defineEventHandler(async (event) => {
  if (event.context.keygate || UNGATED.has(event.path.split('?', 1)[0]!)) return
  const p = event.path
  if (!p.startsWith('/api/') && !p.startsWith('/proxy/') && !p.startsWith('/v1') && p !== '/metrics') return
  const lifecycle = event.context.lifecycle
  const timeout = new Promise<'timeout'>(resolve => setTimeout(resolve, 30_000, 'timeout').unref())
  const r = lifecycle ? await Promise.race([lifecycle.whenReady.catch(() => 'failed' as const), timeout]) : 'failed'
  if (typeof r === 'string') throw createError({ statusCode: 503, message: 'Keygate is starting', data: { code: 'NOT_READY' } })
  event.context.keygate = r
})
