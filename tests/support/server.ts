import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const SERVER_ENTRY = resolve(process.env.KEYGATE_SERVER_ENTRY ?? '.output/server/index.mjs')
export const TEST_AUTH_KEY = 'test-admin-key-0123456789'

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
    s.on('error', rej)
  })
}

export type RunningServer = {
  url: string
  port: number
  dataDir: string
  process: ChildProcess
  /** Everything the server printed so far (stdout and stderr), for assertions and leak checks. */
  output: () => string
  /** Authorised management API call; returns status and parsed body. */
  api: <T = any>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T; headers: Headers }>
  /** SIGTERM and wait; resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

export type StartOptions = {
  env?: Record<string, string | undefined>
  dataDir?: string
  /** Resolve once /ready answers 200 (default) or once /health does. */
  waitFor?: 'ready' | 'health' | 'none'
  timeoutMs?: number
}

const running = new Set<RunningServer>()

/** Starts the built server (`node .output/server/index.mjs`) on a free loopback port. */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const port = await freePort()
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'keygate-test-'))
  const ownsDataDir = !opts.dataDir
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    AUTH_KEY: TEST_AUTH_KEY,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    SHUTDOWN_TIMEOUT: '5',
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) Reflect.deleteProperty(env, k)
    else env[k] = v
  }
  const child = spawn(process.execPath, [SERVER_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>(res => child.on('exit', code => res(code)))
  const url = `http://127.0.0.1:${env.PORT}`

  const server: RunningServer = {
    url,
    port: Number(env.PORT),
    dataDir,
    process: child,
    output: () => out,
    async api(method, path, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${env.AUTH_KEY ?? TEST_AUTH_KEY}` }
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await res.text()
      let parsed: any = text
      try { parsed = JSON.parse(text) } catch {}
      return { status: res.status, body: parsed, headers: res.headers }
    },
    async stop(signal = 'SIGTERM') {
      running.delete(server)
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
  running.add(server)

  const waitFor = opts.waitFor ?? 'ready'
  if (waitFor !== 'none') {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`)
      try {
        const res = await fetch(`${url}/${waitFor}`)
        if (res.status === 200) break
      } catch {}
      if (Date.now() > deadline) {
        await server.stop('SIGKILL')
        throw new Error(`server did not become ${waitFor} in time:\n${out}`)
      }
      await new Promise(r => setTimeout(r, 50))
    }
  }
  return server
}

/** Runs the server entry to completion (for startup-failure tests). */
export async function runServerToExit(
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  const s = await startServer({ env, waitFor: 'none' })
  const timer = setTimeout(() => s.process.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((res) => {
    if (s.process.exitCode !== null) res(s.process.exitCode)
    else s.process.on('exit', c => res(c))
  })
  clearTimeout(timer)
  const output = s.output()
  await s.stop()
  return { code, output }
}

process.on('exit', () => { for (const s of running) s.process.kill('SIGKILL') })
