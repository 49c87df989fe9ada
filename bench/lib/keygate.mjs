// Starts the built Keygate for the benchmark (temp DATA_DIR, loopback, pinned to a core) and
// sets it up through the management API only, as a user would: groups, keys (a task), a proxy key.
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startChild, stopChild } from './procs.mjs'

export const AUTH_KEY = 'bench-admin-key-0123456789abcdef'
const ENTRY = resolve('.output/server/index.mjs')
// Temp data dirs left by a failed or interrupted run are removed when the benchmark exits.
const dataDirs = new Set()
process.on('exit', () => { for (const d of dataDirs) rmSync(d, { recursive: true, force: true }) })

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)) })
    s.on('error', rej)
  })
}

/**
 * Starts Keygate with default settings (request logging and usage accounting on).
 * `cpuProfDir` runs it under `node --cpu-prof` (the profile is written when it exits).
 */
export async function startKeygate({ name = 'keygate', core, cpuProfDir, env = {} } = {}) {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-bench-'))
  dataDirs.add(dataDir)
  const logFile = join(dataDir, 'server.log')
  const fd = openSync(logFile, 'a')
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []
  const entry = startChild(name, process.execPath, [...nodeArgs, ENTRY], {
    core,
    stdoutFile: fd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, AUTH_KEY, SHUTDOWN_TIMEOUT: '5', ...env },
  })
  closeSync(fd)
  const url = `http://127.0.0.1:${port}`
  const kg = {
    name, url, port, dataDir, pid: entry.child.pid, entry,
    log: () => { try { return readFileSync(logFile, 'utf8') } catch { return '' } },
    api: (method, path, body) => api(url, method, path, body),
    async stop() { await stopChild(entry, 10_000); rmSync(dataDir, { recursive: true, force: true }); dataDirs.delete(dataDir) },
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (entry.child.exitCode !== null) throw new Error(`${name} exited (${entry.child.exitCode}):\n${kg.log().slice(-3000)}`)
    try { if ((await fetch(`${url}/ready`)).status === 200) break } catch {}
    if (Date.now() > deadline) { await kg.stop(); throw new Error(`${name} not ready in 60 s:\n${kg.log().slice(-3000)}`) }
    await sleep(100)
  }
  return kg
}

export const sleep = ms => new Promise(r => setTimeout(r, ms))

async function api(base, method, path, body) {
  const headers = { authorization: `Bearer ${AUTH_KEY}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let parsed = text
  try { parsed = JSON.parse(text) } catch {}
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`)
  return parsed
}

/** Creates an openai-channel group whose only upstream is `upstream`; returns the group. */
export function createGroup(kg, { name, upstream, models }) {
  return kg.api('POST', '/api/groups', {
    name, displayName: `bench ${name}`, channel: 'openai', upstreams: [{ url: upstream, weight: 1 }],
    models, testModel: models[0],
  })
}

/**
 * Adds keys through `POST /api/groups/{id}/keys` in batches and waits for each task.
 * Returns { seconds, keysPerSecond, batches }.
 */
export async function addKeys(kg, groupId, keys, { batchSize = 100_000, timeoutMs = 600_000, onProgress } = {}) {
  const started = Date.now()
  const deadline = started + timeoutMs
  let done = 0
  for (let i = 0; i < keys.length; i += batchSize) {
    const batch = keys.slice(i, i + batchSize)
    const { taskId } = await kg.api('POST', `/api/groups/${groupId}/keys`, { keys: batch.join('\n') })
    for (;;) {
      const task = await kg.api('GET', `/api/tasks/${taskId}`)
      if (task.state === 'failed') throw new Error(`key import task failed: ${task.error}`)
      if (task.state === 'done') break
      if (Date.now() > deadline) {
        const rate = (done + (task.processed ?? 0)) / ((Date.now() - started) / 1000)
        throw Object.assign(new Error(`key import too slow: ${done + (task.processed ?? 0)} of ${keys.length} keys in ${timeoutMs / 1000} s (${Math.round(rate)} keys/s)`), { tooSlow: true, keysPerSecond: rate })
      }
      await sleep(250)
    }
    done += batch.length
    onProgress?.(done)
  }
  const seconds = (Date.now() - started) / 1000
  return { seconds, keysPerSecond: keys.length / seconds, batches: Math.ceil(keys.length / batchSize) }
}

/** A consumer key allowed everywhere; returns its secret. */
export async function createProxyKey(kg, name = 'bench') {
  const created = await kg.api('POST', '/api/proxy-keys', { name })
  return created.key
}

/** `count` distinct keys shaped like OpenAI project keys (51 characters). */
export function benchKeys(count, prefix = 'sk-bench-') {
  const keys = new Array(count)
  for (let i = 0; i < count; i++) keys[i] = prefix + i.toString(36).padStart(8, '0') + 'x'.repeat(51 - prefix.length - 8)
  return keys
}
