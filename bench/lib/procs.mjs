// Child processes of the benchmark: started pinned to a core, tracked by PID, and always stopped
// by PID on exit, failure or Ctrl-C. Also reads CPU time and memory of a PID from /proc.
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync, existsSync } from 'node:fs'

const children = new Map() // pid -> { name, child }
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
const HAS_TASKSET = existsSync('/usr/bin/taskset')

/**
 * Starts `cmd args` pinned to `core` (via taskset when present), tracked until it exits.
 * `onLine` sees stdout lines; stderr is kept (last 64 KiB) for error reports.
 */
export function startChild(name, cmd, args, { core, env, onLine, stdoutFile } = {}) {
  const argv = core !== undefined && HAS_TASKSET ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]
  const child = spawn(argv[0], argv[1], { env: env ?? process.env, stdio: ['ignore', stdoutFile ?? 'pipe', stdoutFile ?? 'pipe'] })
  const entry = { name, child, stderr: '', stdout: '' }
  children.set(child.pid, entry)
  child.on('exit', () => children.delete(child.pid))
  if (child.stdout) {
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      entry.stdout = (entry.stdout + d).slice(-65536)
      let i
      while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); onLine?.(line) }
    })
  }
  child.stderr?.on('data', (d) => { entry.stderr = (entry.stderr + d).slice(-65536) })
  entry.exited = new Promise(res => child.on('exit', (code, signal) => res({ code, signal })))
  return entry
}

/** Resolves with the first stdout line that parses as JSON with `ready`, or fails on exit/timeout. */
export function waitReady(entry, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry.name} not ready after ${timeoutMs} ms:\n${entry.stderr}`)), timeoutMs)
    const onData = () => {
      for (const line of entry.stdout.split('\n')) {
        try { const j = JSON.parse(line); if (j.ready) { clearTimeout(timer); entry.child.stdout.off('data', onData); resolve(j); return } } catch {}
      }
    }
    entry.child.stdout.on('data', onData)
    onData()
    entry.exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${entry.name} exited (${code}):\n${entry.stderr}`)) })
  })
}

/** Runs a child to completion and returns its stdout (tracked, so Ctrl-C stops it too). */
export async function runToEnd(name, cmd, args, opts = {}) {
  const entry = startChild(name, cmd, args, opts)
  const { code, signal } = await entry.exited
  if (code !== 0) throw new Error(`${name} failed (${code ?? signal}):\n${entry.stderr.slice(-4000)}`)
  return entry.stdout
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(entry, graceMs = 5000) {
  if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null) return
  try { process.kill(entry.child.pid, 'SIGTERM') } catch {}
  const timer = setTimeout(() => { try { process.kill(entry.child.pid, 'SIGKILL') } catch {} }, graceMs)
  await entry.exited
  clearTimeout(timer)
}

export async function stopAll() {
  await Promise.all([...children.values()].map(e => stopChild(e)))
}

function killAllNow() {
  for (const pid of children.keys()) { try { process.kill(pid, 'SIGKILL') } catch {} }
}
process.on('exit', killAllNow)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    console.error(`\nbench: ${sig}, stopping ${children.size} child process(es)…`)
    const hard = setTimeout(() => { killAllNow(); process.exit(130) }, 3000)
    await stopAll()
    clearTimeout(hard)
    process.exit(130)
  })
}

/** CPU time (user + system, all threads) of a PID in microseconds. */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK
}

/** CPU time of this process's exited, reaped children (cutime + cstime): how wrk's CPU is seen. */
export function reapedChildrenCpuMicros() {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[13]) + Number(f[14])) * 1e6) / CLK_TCK
}

/** { rssKb, hwmKb } from /proc/PID/status. */
export function memory(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = key => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0)
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') }
}

/** Samples VmRSS every `everyMs` until stopped; returns { stop(): {maxKb, lastKb} }. */
export function sampleRss(pid, everyMs = 100) {
  let maxKb = 0
  let lastKb = 0
  const tick = () => { try { lastKb = memory(pid).rssKb; maxKb = Math.max(maxKb, lastKb) } catch {} }
  tick()
  const timer = setInterval(tick, everyMs)
  return { stop: () => { clearInterval(timer); tick(); return { maxKb, lastKb } } }
}

/** Re-pins a running process (every thread) to `core`. */
export function pin(pid, core) {
  if (HAS_TASKSET) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
}

/** Per-core {busy, total} jiffies from /proc/stat, to tell whether a core was saturated. */
export function coreTicks() {
  const out = {}
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line)
    if (!m) continue
    const v = m[2].split(/\s+/).map(Number)
    const idle = v[3] + (v[4] ?? 0)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
    out[m[1]] = { busy: total - idle, total }
  }
  return out
}

/** Busy percentage per core between two coreTicks() snapshots. */
export function coreBusy(before, after) {
  const out = {}
  for (const k of Object.keys(after)) {
    const dt = after[k].total - (before[k]?.total ?? 0)
    out[k] = dt > 0 ? Math.round(((after[k].busy - before[k].busy) / dt) * 100) : 0
  }
  return out
}
