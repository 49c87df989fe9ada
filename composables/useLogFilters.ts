import { LogFilterSchema, type LogFilter } from '~~/shared/schemas/logs'

type FilterKey = keyof LogFilter
const KEYS = Object.keys(LogFilterSchema.shape) as FilterKey[]

/**
 * The log filters live in the URL (`/logs?success=false&from=…`), so a filtered view can be
 * linked (the dashboard's error figures do) and survives a reload. The query is read with the
 * API's own schema: a value the API would refuse is dropped instead of failing the page.
 */
export function useLogFilters() {
  const route = useRoute()
  const router = useRouter()
  /** The raw strings, as the API takes them. */
  const query = computed<Partial<Record<FilterKey, string>>>(() => {
    const out: Partial<Record<FilterKey, string>> = {}
    for (const k of KEYS) {
      const v = route.query[k]
      if (typeof v !== 'string' || v === '') continue
      if (LogFilterSchema.shape[k].safeParse(v).success) out[k] = v
    }
    return out
  })
  /** Parsed (numbers, booleans), for the filter controls. */
  const parsed = computed<LogFilter>(() => LogFilterSchema.parse(query.value))
  function set(patch: Partial<Record<FilterKey, string | number | boolean | null | undefined>>) {
    const next: Record<string, string> = { ...query.value }
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === undefined || v === '') Reflect.deleteProperty(next, k)
      else next[k] = String(v)
    }
    return router.replace({ query: next })
  }
  const clear = () => router.replace({ query: {} })
  return { query, parsed, set, clear }
}

/** `/logs?…` for a link from elsewhere (the dashboard). */
export function logsLink(filter: Partial<Record<FilterKey, string | number | boolean>>): { path: string; query: Record<string, string> } {
  return { path: '/logs', query: Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, String(v)])) }
}
