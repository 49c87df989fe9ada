import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { LogFilterSchema } from '../../../shared/schemas/logs'
import { exportLogsCsv } from '../../services/logs'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

/** CSV of the filtered logs, streamed with backpressure. */
export default defineEventHandler(async (event) => {
  const filter = validateQuery(event, LogFilterSchema)
  const { db } = useKeygate(event)
  const res = event.node.res
  res.statusCode = 200
  res.setHeader('content-type', 'text/csv; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('content-disposition', `attachment; filename="keygate-logs-${new Date().toISOString().slice(0, 10)}.csv"`)
  await pipeline(Readable.from(exportLogsCsv(db, filter)), res)
})
