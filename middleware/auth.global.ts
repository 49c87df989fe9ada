/** Console pages need a session; the login page does not. */
export default defineNuxtRouteMiddleware(async (to) => {
  const { state, refresh } = useSession()
  const session = state.value ?? (await refresh())
  if (to.path === '/login') return session.authenticated ? navigateTo('/') : undefined
  if (!session.authenticated) return navigateTo({ path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} })
})
