export type ApiOptions = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Record<string, unknown>
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  responseType?: 'json' | 'text' | 'blob'
}
/** A management-API call answering the JSON body as `T`. */
export type ApiFetch = <T = unknown>(path: string, opts?: ApiOptions) => Promise<T>

/**
 * The management API with the session cookie. A 401 means the session is gone (expired, signed
 * out elsewhere, server restarted with another key): forget it and go to the login page, back here after.
 */
export function useApi(): ApiFetch {
  const { state } = useSession()
  // Taken now: the response hook runs outside the component's setup, where useRoute() is unavailable.
  const router = useRouter()
  const fetcher = $fetch.create({
    credentials: 'same-origin',
    async onResponseError({ response }) {
      const route = router.currentRoute.value
      if (response.status !== 401 || route.path === '/login') return
      state.value = { authenticated: false }
      await router.push({ path: '/login', query: route.fullPath !== '/' ? { next: route.fullPath } : {} })
    },
  })
  // Nitro's typed routes cost the type checker more than they give a client of /api/[...path].
  const call = fetcher as unknown as (path: string, opts?: ApiOptions) => Promise<unknown>
  return <T>(path: string, opts?: ApiOptions) => call(path, opts) as Promise<T>
}
