import { lifecycle } from '../app'

const UNGATED = new Set(['/health', '/ready'])

/** Holds API and proxy requests until boot has finished (Nitro does not await async plugins). */
export default defineEventHandler(async (event) => {
  if (lifecycle.ready || UNGATED.has(event.path.split('?', 1)[0]!)) return
  const p = event.path
  if (!p.startsWith('/api/') && !p.startsWith('/proxy/') && !p.startsWith('/v1') && p !== '/metrics') return
  const timeout = new Promise<'timeout'>(resolve => setTimeout(resolve, 30_000, 'timeout').unref())
  const r = await Promise.race([lifecycle.readyPromise.then(() => 'ok' as const, () => 'failed' as const), timeout])
  if (r !== 'ok') throw createError({ statusCode: 503, message: 'Keygate is starting', data: { code: 'NOT_READY' } })
})
