import { SettingsPatchSchema } from '../../../shared/settings'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

/** Applies at once here and, through the change feed, on every other instance. */
export default defineEventHandler(async (event) => {
  const { settings } = useKeygate(event)
  await settings.update(await validateBody(event, SettingsPatchSchema))
  return settings.describe()
})
