import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './server'

/**
 * A MariaDB or Redis of the test's own, on its own port and data dir, for faults that stop the
 * database: the shared test servers serve every other suite. Stopped and started by PID.
 */
export type PrivateService = {
  url: string
  port: number
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** Stops it and removes its data. */
  destroy(): Promise<void>
}

export const hasBinary = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not come up in time`)
    await new Promise(r => setTimeout(r, 100))
  }
}

function exitOf(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise(r => p.once('exit', () => r()))
}

export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'keygate-fault-redis-'))
  let proc: ChildProcess | null = null
  const ping = () => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG'
  const svc: PrivateService = {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      await waitUntil(ping, 10_000, 'redis')
    },
    async stop() { if (proc) { proc.kill('SIGTERM'); await exitOf(proc); proc = null } },
    async destroy() { await svc.stop(); rmSync(dir, { recursive: true, force: true }) },
  }
  await svc.start()
  return svc
}

export async function startPrivateMariadb(): Promise<PrivateService> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'keygate-fault-mariadb-'))
  const sock = join(dir, 'mysql.sock')
  const install = spawnSync('mariadb-install-db', ['--user=root', `--datadir=${dir}/data`, '--auth-root-authentication-method=socket'], { stdio: 'ignore' })
  if (install.status !== 0) throw new Error('mariadb-install-db failed')
  let proc: ChildProcess | null = null
  const sql = (q: string) => spawnSync('mariadb', ['-S', sock, '-u', 'root', '-e', q])
  const svc: PrivateService = {
    url: `mysql://keygate:keygate@127.0.0.1:${port}/keygate_fault`,
    port,
    async start() {
      proc = spawn('mariadbd', ['--user=root', `--datadir=${dir}/data`, '--bind-address=127.0.0.1', `--port=${port}`, `--socket=${sock}`,
        `--pid-file=${dir}/mariadb.pid`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=2', '--innodb-buffer-pool-size=32M'], { stdio: 'ignore' })
      await waitUntil(() => sql('SELECT 1').status === 0, 30_000, 'mariadb')
    },
    async stop() { if (proc) { proc.kill('SIGTERM'); await exitOf(proc); proc = null } },
    async destroy() { await svc.stop(); rmSync(dir, { recursive: true, force: true }) },
  }
  await svc.start()
  sql("CREATE DATABASE IF NOT EXISTS keygate_fault; CREATE USER IF NOT EXISTS 'keygate'@'127.0.0.1' IDENTIFIED BY 'keygate'; GRANT ALL PRIVILEGES ON *.* TO 'keygate'@'127.0.0.1'; FLUSH PRIVILEGES;")
  return svc
}
