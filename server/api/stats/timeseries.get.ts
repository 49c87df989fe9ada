import { TimeseriesQuerySchema } from '../../../shared/schemas/logs'
import { timeseries } from '../../services/statsSeries'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => timeseries(useKeygate(event).db, validateQuery(event, TimeseriesQuerySchema)))
