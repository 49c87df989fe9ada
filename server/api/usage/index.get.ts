import { UsageQuerySchema } from '../../../shared/schemas/usage'
import { usageCsv, usageReport } from '../../services/usage'
import { useKeygate } from '../../utils/keygate'
import { validateQuery } from '../../utils/validation'

export default defineEventHandler(async (event) => {
  const q = validateQuery(event, UsageQuerySchema)
  const { db, settings } = useKeygate(event)
  const report = await usageReport(db, q, settings.current().budget_time_zone)
  if (q.format === 'json') return report
  setResponseHeaders(event, {
    'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store',
    'content-disposition': `attachment; filename="keygate-usage-${q.groupBy}-${new Date().toISOString().slice(0, 10)}.csv"`,
  })
  return usageCsv(report)
})
