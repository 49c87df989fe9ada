import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { KeyExportQuerySchema } from '../../../../../shared/schemas/keys'
import { getGroupRow } from '../../../../services/groups'
import { routeId } from '../../../../utils/api'
import { useKeygate } from '../../../../utils/keygate'
import { validateQuery } from '../../../../utils/validation'

/** The one place plain keys leave the server: streamed with backpressure, one key a line. */
export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const { status } = validateQuery(event, KeyExportQuerySchema)
  const { db, keys } = useKeygate(event)
  const group = await getGroupRow(db, id)
  const res = event.node.res
  res.statusCode = 200
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('content-disposition', `attachment; filename="keys-${group.name}${status ? `-${status}` : ''}.txt"`)
  await pipeline(Readable.from(keys.export(id, status)), res)
})
