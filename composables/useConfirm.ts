import { useDialog, type ButtonProps } from 'naive-ui'
import { useI18n } from 'vue-i18n'

export type ConfirmOptions = {
  title?: string
  content: string
  /** The button that goes ahead, named after the action ("Delete 3 keys"), never just "OK". */
  positiveText: string
}

/**
 * Asks before a destructive action: resolves true only when the user chose the action, false on
 * cancel, Esc or a click outside. `if (!await confirm({...})) return` before the request.
 */
export function useConfirm() {
  const dialog = useDialog()
  const { t } = useI18n()
  return (opts: ConfirmOptions) => new Promise<boolean>((resolve) => {
    let answered = false
    const answer = (v: boolean) => { if (!answered) { answered = true; resolve(v) } }
    dialog.warning({
      title: opts.title ?? t('common.confirm.title'),
      content: opts.content,
      positiveText: opts.positiveText,
      negativeText: t('common.actions.cancel'),
      // data-test is for the browser tests; Naive UI passes unknown props on to the <button>.
      positiveButtonProps: { 'type': 'error', 'data-test': 'confirm-yes' } as ButtonProps,
      negativeButtonProps: { 'data-test': 'confirm-no' } as ButtonProps,
      onPositiveClick: () => answer(true),
      onNegativeClick: () => answer(false),
      onClose: () => answer(false),
      onMaskClick: () => answer(false),
      onAfterLeave: () => answer(false),
    })
  })
}
