import type { TaskView } from '~~/shared/schemas/tasks'

/** Follows a background task (imports, key actions) until it ends, exposing its progress. */
export function useTask() {
  const api = useApi()
  const task = ref<TaskView | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  async function follow(taskId: string): Promise<TaskView> {
    clearTimeout(timer)
    for (;;) {
      task.value = await api<TaskView>(`/api/tasks/${taskId}`)
      if (task.value.state !== 'running') return task.value
      await new Promise((r) => { timer = setTimeout(r, 300) })
    }
  }
  const percent = computed(() => {
    const t = task.value
    if (!t || !t.total) return t?.state === 'done' ? 100 : 0
    return Math.min(100, Math.round((t.processed / t.total) * 100))
  })
  onBeforeUnmount(() => clearTimeout(timer))
  return { task, percent, follow }
}
