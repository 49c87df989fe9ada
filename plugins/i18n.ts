import { createI18n } from 'vue-i18n'
import { LOCALE_STORAGE_KEY, mergeLocaleFiles, pickLocale, type MessageTree } from '~~/i18n'

/** vue-i18n with every `i18n/locales/<lang>/<area>.json`, found at build time (a new area needs no registration). */
export default defineNuxtPlugin((nuxtApp) => {
  const files = import.meta.glob<MessageTree>('../i18n/locales/*/*.json', { eager: true, import: 'default' })
  const locale = pickLocale(readStored(), navigator.languages ?? [navigator.language])
  const i18n = createI18n({
    legacy: false,
    globalInjection: true,
    locale,
    fallbackLocale: 'en',
    messages: mergeLocaleFiles(files),
    missingWarn: import.meta.dev,
    fallbackWarn: false,
  })
  document.documentElement.lang = locale
  nuxtApp.vueApp.use(i18n)
})

function readStored(): string | null {
  try { return localStorage.getItem(LOCALE_STORAGE_KEY) } catch { return null }
}
