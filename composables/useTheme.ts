export type ThemeChoice = 'system' | 'light' | 'dark'
export const THEME_STORAGE_KEY = 'keygate.theme'
const CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark']

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_STORAGE_KEY)
    return CHOICES.includes(v as ThemeChoice) ? v as ThemeChoice : 'system'
  } catch { return 'system' }
}

/**
 * Light or dark: the user's remembered choice, or the system's while the choice is "system"
 * (followed live). `watchSystem()` is called once, by app.vue, to listen to the system setting.
 */
export function useTheme() {
  const choice = useState<ThemeChoice>('theme-choice', readChoice)
  const systemDark = useState('theme-system-dark', () => matchMedia('(prefers-color-scheme: dark)').matches)
  const dark = computed(() => choice.value === 'dark' || (choice.value === 'system' && systemDark.value))

  function setChoice(next: ThemeChoice) {
    choice.value = next
    try { localStorage.setItem(THEME_STORAGE_KEY, next) } catch { /* private mode: the choice lasts this visit */ }
  }
  function watchSystem() {
    const media = matchMedia('(prefers-color-scheme: dark)')
    const update = () => { systemDark.value = media.matches }
    media.addEventListener('change', update)
    onBeforeUnmount(() => media.removeEventListener('change', update))
    watchEffect(() => {
      document.documentElement.dataset.theme = dark.value ? 'dark' : 'light'
      document.documentElement.style.colorScheme = dark.value ? 'dark' : 'light'
    })
  }
  return { choice, dark, choices: CHOICES, setChoice, watchSystem }
}
