import { randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import Busboy from 'busboy'
import type { H3Event } from 'h3'
import { invalid } from '../services/errors'

/** Largest key file accepted (the contract asks for at least 50 MB). */
export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024

export function isMultipart(event: H3Event) {
  return /^multipart\/form-data/i.test(getRequestHeader(event, 'content-type') ?? '')
}

const badUpload = (message: string) => invalid('file', message)

/**
 * Streams the first file field of a multipart body to `dir` (never whole in memory) and returns
 * its path plus the text fields. The caller owns the file and deletes it when done.
 */
export async function receiveUpload(event: H3Event, dir: string): Promise<{ file: string; fields: Record<string, string> }> {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${randomUUID()}.txt`)
  const fields: Record<string, string> = {}
  let sawFile = false
  let tooBig = false
  let writing: Promise<void> | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      let bb: Busboy.Busboy
      try {
        bb = Busboy({ headers: event.node.req.headers, limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 10, fieldSize: 10_000 } })
      } catch (err) { reject(badUpload((err as Error).message)); return }
      bb.on('file', (_name, stream) => {
        if (sawFile) { stream.resume(); return }
        sawFile = true
        stream.on('limit', () => { tooBig = true })
        writing = pipeline(stream, createWriteStream(path))
        writing.catch(reject)
      })
      bb.on('field', (name, value) => { fields[name] = value })
      bb.on('error', err => reject(badUpload((err as Error).message)))
      bb.on('close', resolve)
      event.node.req.on('error', reject)
      event.node.req.pipe(bb)
    })
    await writing
    if (!sawFile) throw badUpload('no file in the upload (send the keys as a .txt file field)')
    if (tooBig) throw createError({ statusCode: 413, message: `file: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`, data: { code: 'TOO_LARGE' } })
    return { file: path, fields }
  } catch (err) {
    await rm(path, { force: true })
    throw err
  }
}
