import type { AsyncData, AsyncDataOptions, NuxtError } from '#app'

type QueryValue = string | number | boolean | null | undefined
export type ApiQueryOptions<T> = {
  /** Query parameters; a getter or ref is watched and refetches when it changes. */
  query?: MaybeRefOrGetter<Record<string, QueryValue>>
} & Pick<AsyncDataOptions<T>, 'immediate' | 'server' | 'lazy'>

/**
 * One GET of the management API as Nuxt async data: `data`, `status`, `error` and `refresh`, shared
 * by every view under the same `key`, so `useApiWrite` can refresh it after a write. Keys are
 * `api:<key>`; choose the resource's name (`logs`, `settings`, `stats:overview`).
 */
export function useApiQuery<T>(
  key: string, path: MaybeRefOrGetter<string>, opts: ApiQueryOptions<T> = {},
): AsyncData<T | undefined, NuxtError | undefined> {
  const api = useApi()
  const { query, ...rest } = opts
  return useAsyncData<T, NuxtError, T, never, undefined>(`api:${key}`, () => api<T>(toValue(path), { query: cleanQuery(toValue(query)) }), {
    ...rest,
    watch: [() => toValue(path), () => JSON.stringify(toValue(query) ?? {})],
  }) as AsyncData<T | undefined, NuxtError | undefined>
}

/** Empty filters stay out of the URL (`?model=` would filter on the empty model). */
export function cleanQuery(q: Record<string, QueryValue> | undefined): Record<string, string | number | boolean> | undefined {
  if (!q) return undefined
  const out: Record<string, string | number | boolean> = {}
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') out[k] = v
  return out
}
