import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Debian's nginx, or KEYGATE_TEST_NGINX; '' when there is none (the cluster suite is then skipped). */
export const NGINX_BIN = process.env.KEYGATE_TEST_NGINX ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : '')

const TEMPLATE = resolve('deploy/nginx/keygate.conf')

/**
 * The deployment's nginx config (deploy/nginx/keygate.conf) with loopback addresses: the instance
 * lines replaced by `backends`, the listen port and the access log moved. Everything else
 * (timeouts, buffering, retries, headers) is the file as shipped.
 */
export function renderNginxConfig(listenPort: number, backends: number[], accessLog: string): string {
  const src = readFileSync(TEMPLATE, 'utf8')
  const servers = [...src.matchAll(/^\s*server keygate\d+:3001([^;]*);$/gm)]
  if (servers.length !== 3) throw new Error(`expected three instance lines in ${TEMPLATE}`)
  const options = servers[0]![1]
  let out = src.replace(/^\s*server keygate\d+:3001[^;]*;\n/gm, '')
  out = out.replace(/^(\s*)least_conn;$/m, (m, indent: string) => `${m}\n${backends.map(p => `${indent}server 127.0.0.1:${p}${options};`).join('\n')}`)
  out = out.replace(/^(\s*)listen 8080;$/m, `$1listen 127.0.0.1:${listenPort};`)
  out = out.replace(/access_log \S+ keygate;/, `access_log ${accessLog} keygate;`)
  if (!out.includes(`listen 127.0.0.1:${listenPort};`) || !out.includes(accessLog)) throw new Error('nginx template changed shape')
  return out
}

export type Nginx = { url: string; process: ChildProcess; accessLog: () => AccessLine[]; stop: () => Promise<void> }
export type AccessLine = { status: number; upstreams: string[]; requestId: string; line: string }

/** Starts nginx in the foreground with its own prefix, pid and temp dirs under `dir`. */
export async function startNginx(dir: string, listenPort: number, backends: number[]): Promise<Nginx> {
  mkdirSync(join(dir, 'tmp'), { recursive: true })
  const accessLog = join(dir, 'access.log')
  const conf = join(dir, 'nginx.conf')
  const t = join(dir, 'tmp')
  writeFileSync(conf, [
    'daemon off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 2048; }',
    'http {',
    `  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fcgi; uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;`,
    renderNginxConfig(listenPort, backends, accessLog),
    '}',
  ].join('\n'))
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<void>(r => child.once('exit', () => r()))
  const url = `http://127.0.0.1:${listenPort}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${out}`)
    try {
      await fetch(`${url}/health`)
      break
    } catch {}
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`nginx did not start: ${out}`) }
    await new Promise(r => setTimeout(r, 50))
  }
  return {
    url,
    process: child,
    accessLog: () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '').split('\n').filter(Boolean).map((line) => {
      const status = Number(/" (\d{3}) /.exec(line)?.[1] ?? 0)
      const up = /up="([^"]*)"/.exec(line)?.[1] ?? ''
      return { status, upstreams: up.split(/[,:]\s+|,\s*/).map(s => s.trim()).filter(s => s && s !== '-'), requestId: /rid="([^"]*)"/.exec(line)?.[1] ?? '', line }
    }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
