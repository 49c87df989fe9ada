import { join } from 'node:path'
import { AddKeysSchema } from '../../../../../shared/schemas/keys'
import { invalid } from '../../../../services/errors'
import { getGroupRow } from '../../../../services/groups'
import { routeId } from '../../../../utils/api'
import { useKeygate } from '../../../../utils/keygate'
import { isMultipart, receiveUpload } from '../../../../utils/upload'
import { readBoundedBody } from '../../../../utils/requestBody'
import { validateBody } from '../../../../utils/validation'

/**
 * JSON `{"keys": text | string[]}`, a multipart `.txt` (streamed to DATA_DIR/uploads), or a
 * text/plain body; size limits per type in utils/requestBody.ts.
 */
export default defineEventHandler(async (event) => {
  const id = routeId(event)
  const { db, config, keys } = useKeygate(event)
  let task
  if (isMultipart(event)) {
    // Check before receiving what may be hundreds of megabytes.
    await getGroupRow(db, id)
    await keys.assertNoTask(id)
    const { file, fields } = await receiveUpload(event, join(config.dataDir, 'uploads'))
    task = await keys.startImport(id, { file }, (fields.notes ?? '').slice(0, 1000))
  } else if (/^text\/plain/i.test(getRequestHeader(event, 'content-type') ?? '')) {
    const text = (await readBoundedBody(event))?.toString('utf8') ?? ''
    if (!text.trim()) throw invalid('keys', 'the body is empty')
    task = await keys.startImport(id, { text })
  } else {
    const body = await validateBody(event, AddKeysSchema)
    task = await keys.startImport(id, { text: body.keys }, body.notes)
  }
  setResponseStatus(event, 202)
  return { taskId: task.id }
})
