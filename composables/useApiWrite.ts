type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * A write to the management API that refreshes the views it changes: `refresh` names the
 * `useApiQuery` keys to fetch again once the write succeeded. A refusal is thrown as is, for
 * `useZodForm().showApiError` to put next to the fields.
 */
export function useApiWrite() {
  const api = useApi()
  const pending = ref(false)
  async function write<T = unknown>(method: WriteMethod, path: string, body?: unknown, opts: { refresh?: string[] } = {}): Promise<T> {
    pending.value = true
    try {
      const result = await api<T>(path, { method, body })
      if (opts.refresh?.length) await refreshNuxtData(opts.refresh.map(k => `api:${k}`))
      return result
    } finally {
      pending.value = false
    }
  }
  return { write, pending }
}
