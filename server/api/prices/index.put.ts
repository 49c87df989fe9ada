import { PricesPutSchema } from '../../../shared/schemas/prices'
import { useKeygate } from '../../utils/keygate'
import { validateBody } from '../../utils/validation'

export default defineEventHandler(async event => useKeygate(event).prices.replace(await validateBody(event, PricesPutSchema)))
