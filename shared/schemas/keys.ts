import { z } from 'zod'
import type { ApiKeyRow } from '../types/rows'
import { pageFields } from './common'

export const KEY_STATUSES = ['active', 'cooling', 'invalid', 'disabled'] as const
export const KeyStatusSchema = z.enum(KEY_STATUSES)

/** Largest JSON `keys` text accepted in one request; bigger sets go as a multipart `.txt`. */
export const MAX_KEYS_TEXT = 64 * 1024 * 1024

export const AddKeysSchema = z.strictObject({
  keys: z.union([z.string().max(MAX_KEYS_TEXT), z.array(z.string())]).refine(v => (typeof v === 'string' ? v.trim() !== '' : v.length > 0), 'must contain at least one key'),
  notes: z.string().max(1000).default(''),
})
export type AddKeysInput = z.infer<typeof AddKeysSchema>

export const KeyListQuerySchema = z.object({
  ...pageFields(),
  status: KeyStatusSchema.optional(),
  q: z.string().max(1000).optional(),
})
export type KeyListQuery = z.infer<typeof KeyListQuerySchema>

export const KeyExportQuerySchema = z.object({ status: KeyStatusSchema.optional() })

export const KEY_ACTIONS = ['validate', 'restore-invalid', 'delete-invalid', 'delete'] as const
/** `keys` narrows an action to given keys (text in any separator, or an array); `status` to a state. */
export const KeyActionSchema = z.strictObject({
  action: z.enum(KEY_ACTIONS),
  status: KeyStatusSchema.optional(),
  keys: z.union([z.string().max(MAX_KEYS_TEXT), z.array(z.string())]).optional(),
}).superRefine((v, ctx) => {
  if (v.action === 'delete' && v.status === undefined && v.keys === undefined)
    ctx.addIssue({ code: 'custom', path: ['action'], message: 'delete needs `status` or `keys` (to delete every key, use status filters one by one)' })
})
export type KeyActionInput = z.infer<typeof KeyActionSchema>

export const KeyPatchSchema = z.strictObject({
  status: z.enum(['active', 'disabled']).optional(),
  notes: z.string().max(1000).optional(),
}).refine(v => v.status !== undefined || v.notes !== undefined, 'give `status` or `notes`')
export type KeyPatchInput = z.infer<typeof KeyPatchSchema>

/** A key as the API returns it: never the secret (nor its hash or ciphertext), only `masked`. */
export type KeyView = Omit<ApiKeyRow, 'keyHash' | 'keyCiphertext' | 'updatedAt'> & { masked: string }

export type KeyTestResult = { ok: boolean; status: number; latencyMs: number; error: string | null }
