import { useApp } from '../../app'
import { overview } from '../../services/stats'

export default defineEventHandler(() => overview(useApp().db))
