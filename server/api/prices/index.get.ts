import { useKeygate } from '../../utils/keygate'

export default defineEventHandler(event => useKeygate(event).prices.list())
