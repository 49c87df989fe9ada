// Starts the built Keygate for the benchmark (temp DATA_DIR, loopback, pinned to a core) and
// sets it up through the management API only, as a user would: groups, keys (a task), a proxy key.
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startChild, stopChild } from './procs.mjs'

export const AUTH_KEY = 'bench-admin-key-0123456789abcdef'
// KEYGATE_SERVER_ENTRY points the benchmark at another build (as in tests/support/server.ts).
export const ENTRY = resolve(process.env.KEYGATE_SERVER_ENTRY ?? '.output/server/index.mjs')
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
export async function startKeygate({ name = 'keygate', core, cpuProfDir, env = {}, entry: serverEntry = ENTRY } = {}) {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-bench-'))
  dataDirs.add(dataDir)
  const logFile = join(dataDir, 'server.log')
  const fd = openSync(logFile, 'a')
  const nodeArgs = [...(process.env.BENCH_KEYGATE_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])]
  const entry = startChild(name, process.execPath, [...nodeArgs, resolve(serverEntry)], {
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
  const send = () => fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  let res
  try { res = await send() } catch (err) {
    // A GET on a kept-alive socket the server closed meanwhile (after a long event-loop stall) is safe to repeat once.
    if (method !== 'GET') throw err
    res = await send()
  }
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
 * Adds keys through `POST /api/groups/{id}/keys` and waits for the import task: small sets as
 * JSON text, large ones as a multipart `.txt` upload (how a user imports a big key file).
 * Returns { seconds, keysPerSecond, task }.
 */
export async function addKeys(kg, groupId, keys, { timeoutMs = 600_000, onProgress } = {}) {
  const started = Date.now()
  const deadline = started + timeoutMs
  let taskId
  if (keys.length <= 10_000) ({ taskId } = await kg.api('POST', `/api/groups/${groupId}/keys`, { keys: keys.join('\n') }))
  else {
    const form = new FormData()
    form.append('file', new Blob([keys.join('\n')], { type: 'text/plain' }), 'keys.txt')
    const res = await fetch(`${kg.url}/api/groups/${groupId}/keys`, { method: 'POST', headers: { authorization: `Bearer ${AUTH_KEY}` }, body: form })
    const text = await res.text()
    if (res.status !== 202) throw new Error(`key upload: HTTP ${res.status}: ${text.slice(0, 500)}`)
    taskId = JSON.parse(text).taskId
  }
  let lastReport = 0
  for (;;) {
    const task = await kg.api('GET', `/api/tasks/${taskId}`)
    if (task.state === 'failed') throw new Error(`key import task failed: ${task.error}`)
    if (task.state === 'done') {
      const seconds = (Date.now() - started) / 1000
      return { seconds, keysPerSecond: keys.length / seconds, task: { processed: task.processed, total: task.total, result: task.result } }
    }
    if (Date.now() > deadline) {
      const rate = (task.processed ?? 0) / ((Date.now() - started) / 1000)
      throw Object.assign(new Error(`key import too slow: ${task.processed ?? 0} of ${keys.length} keys after ${timeoutMs / 1000} s (${Math.round(rate)} keys/s)`), { tooSlow: true, keysPerSecond: rate })
    }
    if (onProgress && Date.now() - lastReport > 10_000) { lastReport = Date.now(); onProgress(task.processed ?? 0) }
    await sleep(250)
  }
}

/** A consumer key allowed everywhere; returns its secret. */
/**
 * The benchmark's one consumer: its own concurrency cap set to the gateway's whole limit, since the
 * slow-streams phase opens 1,000 streams with it (a key without one gets PROXY_KEY_MAX_SHARE).
 */
export async function createProxyKey(kg, name = 'bench', extra = {}) {
  const created = await kg.api('POST', '/api/proxy-keys', { name, maxConcurrency: 1000, ...extra })
  return created.key
}

/** `count` distinct keys shaped like OpenAI project keys (51 characters). */
export function benchKeys(count, prefix = 'sk-bench-') {
  const keys = new Array(count)
  for (let i = 0; i < count; i++) keys[i] = prefix + i.toString(36).padStart(8, '0') + 'x'.repeat(51 - prefix.length - 8)
  return keys
}
