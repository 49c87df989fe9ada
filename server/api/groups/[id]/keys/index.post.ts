import { join } from 'node:path'
import { useApp } from '../../../../app'
import { startKeyImport } from '../../../../services/keyImport'
import { invalid } from '../../../../services/errors'
import { getGroupRow } from '../../../../services/groups'
import { assertNoKeyTask } from '../../../../services/tasks'
import { AddKeysSchema } from '../../../../../shared/schemas/keys'
import { routeId, taskDeps } from '../../../../utils/api'
import { isMultipart, receiveUpload } from '../../../../utils/upload'
import { validateBody } from '../../../../utils/validation'

/** JSON `{"keys": text | string[]}`, a multipart `.txt` (streamed to DATA_DIR/uploads), or a text/plain body. */
export default defineEventHandler(async (event) => {
  const id = routeId(event)
  let task
  if (isMultipart(event)) {
    // Check before receiving what may be hundreds of megabytes.
    await getGroupRow(useApp().db, id)
    await assertNoKeyTask(useApp().db, id)
    const { file, fields } = await receiveUpload(event, join(useApp().config.dataDir, 'uploads'))
    task = await startKeyImport(taskDeps(), id, { file }, (fields.notes ?? '').slice(0, 1000))
  } else if (/^text\/plain/i.test(getRequestHeader(event, 'content-type') ?? '')) {
    const text = (await readRawBody(event, 'utf8')) ?? ''
    if (!text.trim()) throw invalid('keys', 'the body is empty')
    task = await startKeyImport(taskDeps(), id, { text })
  } else {
    const body = await validateBody(event, AddKeysSchema)
    task = await startKeyImport(taskDeps(), id, { text: body.keys }, body.notes)
  }
  setResponseStatus(event, 202)
  return { taskId: task.id }
})
