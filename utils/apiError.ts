/** What a failed management-API call says, for a message line: the API's `message`, else the HTTP status, else that nothing answered. */
export function apiErrorMessage(err: unknown): string | null {
  if (!err) return null
  const e = err as { data?: { message?: unknown }; statusCode?: number; status?: number; message?: string }
  if (typeof e.data?.message === 'string' && e.data.message) return e.data.message
  const status = e.statusCode ?? e.status
  if (status) return `HTTP ${status}`
  return e.message || null
}
