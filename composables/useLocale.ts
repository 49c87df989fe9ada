import { useI18n } from 'vue-i18n'
import { LOCALE_STORAGE_KEY, LOCALES, type LocaleCode } from '~~/i18n'

/** The console's language: switched at once, remembered in localStorage, and set on `<html lang>` for screen readers. */
export function useLocale() {
  const { locale } = useI18n({ useScope: 'global' })
  const current = computed(() => locale.value as LocaleCode)
  function setLocale(code: LocaleCode) {
    locale.value = code
    document.documentElement.lang = code
    try { localStorage.setItem(LOCALE_STORAGE_KEY, code) } catch { /* private mode: the choice lasts this visit */ }
  }
  return { locale: current, locales: LOCALES, setLocale }
}
