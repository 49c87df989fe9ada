import { z } from 'zod'
import { pageFields } from './common'

export type TaskView = {
  id: string
  type: string
  groupId: number | null
  state: 'running' | 'done' | 'failed'
  processed: number
  total: number
  result: unknown
  error: string | null
  createdAt: number
  updatedAt: number
}

export const TaskListQuerySchema = z.object({
  ...pageFields(),
  state: z.enum(['running', 'done', 'failed']).optional(),
  groupId: z.coerce.number().int().positive().optional(),
})
