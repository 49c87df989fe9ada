// Reaching here means the auth middleware accepted the caller.
export default defineEventHandler(() => ({ authenticated: true }))
