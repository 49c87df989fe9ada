type Session = { authenticated: boolean }

/** The console session: login with the admin key, logout, and a cached "am I signed in". */
export function useSession() {
  const state = useState<Session | null>('session', () => null)
  async function refresh() {
    state.value = await $fetch<Session>('/api/auth/session').catch(() => ({ authenticated: false }))
    return state.value
  }
  async function login(authKey: string) {
    await $fetch('/api/auth/login', { method: 'POST', body: { authKey } })
    state.value = { authenticated: true }
  }
  async function logout() {
    await $fetch('/api/auth/logout', { method: 'POST' }).catch(() => {})
    state.value = { authenticated: false }
  }
  return { state, refresh, login, logout }
}
