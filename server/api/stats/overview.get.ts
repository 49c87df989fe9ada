import { overview } from '../../services/stats'
import { useKeygate } from '../../utils/keygate'

export default defineEventHandler(event => overview(useKeygate(event).db))
