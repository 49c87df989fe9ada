import { useI18n } from 'vue-i18n'

/**
 * The title in the layout's header and the browser tab. A page passes its own (a getter, so it
 * follows the language and the data); without one, the header is the app name.
 */
export function usePageTitle(title?: MaybeRefOrGetter<string>) {
  const { t } = useI18n()
  const state = useState('page-title', () => '')
  if (title !== undefined) {
    watchEffect(() => { state.value = toValue(title) })
    useHead({ title: () => `${toValue(title)} · ${t('common.appName')}` })
  }
  return { title: computed(() => state.value || t('common.appName')) }
}
