// The longest busy stretches in a CPU profile: runs of consecutive non-idle samples, each with
// the frames present in at least half of its samples. Finds what holds the event loop for
// milliseconds at a time (take the profile with a fine interval, e.g. --cpu-prof-interval=100).
//   node bench/long-tasks.mjs FILE.cpuprofile [--top 20] [--from SECONDS]
import { readFileSync } from 'node:fs'

const argv = process.argv.slice(2)
const opt = (name, fallback) => { const i = argv.indexOf(`--${name}`); return i < 0 ? fallback : Number(argv[i + 1]) }
const profile = JSON.parse(readFileSync(argv[0], 'utf8'))
const top = opt('top', 20)
const fromUs = opt('from', 0) * 1e6

const nodes = new Map(profile.nodes.map(n => [n.id, n]))
const parent = new Map()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const label = (id) => { const f = nodes.get(id).callFrame; return `${f.functionName || '(anonymous)'} ${f.url.split('/').at(-1)}:${f.lineNumber + 1}` }
const stackOf = (id) => { const s = []; for (let x = id; x !== undefined; x = parent.get(x)) s.unshift(label(x)); return s }

const stretches = []
let t = profile.startTime
let cur = null
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i]
  if (nodes.get(id).callFrame.functionName === '(idle)') { if (cur) stretches.push(cur); cur = null; return }
  cur ??= { start: t, end: t, samples: new Map() }
  cur.end = t
  cur.samples.set(id, (cur.samples.get(id) ?? 0) + 1)
})
if (cur) stretches.push(cur)

const chosen = stretches
  .filter(s => s.start - profile.startTime >= fromUs)
  .sort((a, b) => (b.end - b.start) - (a.end - a.start))
  .slice(0, top)
for (const s of chosen) {
  const total = [...s.samples.values()].reduce((a, b) => a + b, 0)
  const frames = new Map()
  for (const [id, n] of s.samples) for (const f of new Set(stackOf(id))) frames.set(f, (frames.get(f) ?? 0) + n)
  const common = [...frames].filter(([, n]) => n * 2 >= total).map(([f]) => f).slice(-4)
  console.log(`${((s.end - s.start) / 1000).toFixed(1)} ms at ${((s.start - profile.startTime) / 1e6).toFixed(2)} s: ${common.join(' > ')}`)
}
