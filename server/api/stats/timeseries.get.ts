import { useApp } from '../../app'
import { timeseries } from '../../services/stats'
import { TimeseriesQuerySchema } from '../../../shared/schemas/logs'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(event => timeseries(useApp().db, validateQuery(event, TimeseriesQuerySchema)))
