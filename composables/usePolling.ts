/**
 * Calls `tick` every `ms` while the tab is visible; a hidden tab costs the server nothing, and
 * coming back refreshes at once. `active` tells the view whether it is live.
 */
export function usePolling(tick: () => unknown, ms = 5000) {
  const active = ref(document.visibilityState === 'visible')
  let timer: ReturnType<typeof setInterval> | undefined
  const start = () => { stop(); timer = setInterval(() => { void tick() }, ms) }
  const stop = () => { if (timer) clearInterval(timer); timer = undefined }
  const onVisibility = () => {
    active.value = document.visibilityState === 'visible'
    if (active.value) { void tick(); start() } else stop()
  }
  onMounted(() => {
    document.addEventListener('visibilitychange', onVisibility)
    if (active.value) start()
  })
  onBeforeUnmount(() => {
    stop()
    document.removeEventListener('visibilitychange', onVisibility)
  })
  return { active }
}
