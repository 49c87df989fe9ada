import { reactive } from 'vue'
import type { z } from 'zod'

/** An issue as zod gives it, or as the API's 400 carries it (`path` already joined with dots). */
type Issue = { path: string | readonly PropertyKey[]; message: string; code?: string; keys?: string[] }

/**
 * One message per form field from zod issues: the field is the path's first segment
 * (`upstreams.0.url` belongs to `upstreams`); issues without a path go to `_`. Unknown keys get
 * the same words the API uses for them.
 */
export function fieldErrors(issues: readonly Issue[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of issues) {
    const path = typeof issue.path === 'string' ? issue.path.split('.').filter(Boolean) : issue.path.map(String)
    const named = issue.code === 'unrecognized_keys' && issue.keys?.length
      ? issue.keys.map(k => ({ field: path[0] ?? k, message: 'is not a known field' }))
      : [{ field: path[0] ?? '_', message: issue.message }]
    for (const { field, message } of named) out[field] ??= message
  }
  return out
}

/**
 * Checks what a form is about to send with the API's own zod schema (from shared/), so the user
 * sees the same message the server would answer, next to the field and before any request.
 */
export function useZodForm() {
  const errors = reactive<Record<string, string>>({})

  function show(found: Record<string, string>) {
    for (const k of Object.keys(errors)) Reflect.deleteProperty(errors, k)
    Object.assign(errors, found)
  }
  /** The parsed body, or `null` after showing why (then send nothing). */
  function check<S extends z.ZodType>(schema: S, body: z.input<S>): z.output<S> | null {
    const r = schema.safeParse(body)
    show(r.success ? {} : fieldErrors(r.error.issues))
    return r.success ? r.data : null
  }
  /** A refused request: the API's field issues, or its message under `_`. */
  function showApiError(err: unknown, fallback: string) {
    const data = (err as { data?: { message?: string; data?: { issues?: Issue[] } } } | undefined)?.data
    const issues = data?.data?.issues ?? []
    show(issues.length ? fieldErrors(issues) : { _: data?.message ?? fallback })
  }
  /** `v-bind` on an `n-form-item`: the field's message (or a hint) and its status. */
  function field(name: string, hint?: string) {
    return { feedback: errors[name] ?? hint, validationStatus: errors[name] ? ('error' as const) : undefined }
  }
  return { errors, check, showApiError, field, clear: () => show({}) }
}
