import { describeSettings } from '../../services/settings'

export default defineEventHandler(() => describeSettings())
