import { z } from 'zod'

export const LoginSchema = z.object({ authKey: z.string().min(1, 'is required').max(500) })
export type LoginInput = z.infer<typeof LoginSchema>
