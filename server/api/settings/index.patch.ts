import { useApp } from '../../app'
import { describeSettings, updateSettings } from '../../services/settings'
import { SettingsPatchSchema } from '../../../shared/settings'
import { validateBody } from '../../utils/validation'

/** Applies at once here and, through the change feed, on every other instance. */
export default defineEventHandler(async (event) => {
  await updateSettings(useApp().db, await validateBody(event, SettingsPatchSchema))
  return describeSettings()
})
