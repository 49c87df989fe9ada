import { SETTINGS, type SettingView } from '~~/shared/settings'

/**
 * The base URL clients should use: `app_url` when the admin set it (changed it from its default),
 * else the address this console was opened at, which is the one that reaches this server from
 * the admin's side; never `http://localhost:3001` on a server that listens elsewhere.
 */
export function useEndpointBase() {
  const { data } = useApiQuery<SettingView[]>('settings', '/api/settings')
  const base = computed(() => {
    const appUrl = data.value?.find(s => s.key === 'app_url')?.value
    if (typeof appUrl === 'string' && appUrl.trim() && appUrl !== SETTINGS.app_url.default) return appUrl.trim().replace(/\/+$/, '')
    return window.location.origin
  })
  return {
    base,
    /** `/proxy/{group}` on that base, for a group page's copy button. */
    proxyEndpoint: (groupName: string) => `${base.value}/proxy/${encodeURIComponent(groupName)}`,
    /** The base the unified routes' SDK examples use (`${base}/v1` for OpenAI SDKs). */
    unifiedBase: computed(() => base.value),
  }
}
