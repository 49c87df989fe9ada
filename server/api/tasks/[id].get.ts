import { useKeygate } from '../../utils/keygate'

export default defineEventHandler(event => useKeygate(event).tasks.get(getRouterParam(event, 'id') ?? ''))
