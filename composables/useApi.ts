/** Calls the management API with the session cookie; a 401 sends the user to the login page. */
export function useApi() {
  return $fetch.create({
    credentials: 'same-origin',
    async onResponseError({ response }) {
      if (response.status === 401 && useRoute().path !== '/login') await navigateTo('/login')
    },
  })
}
