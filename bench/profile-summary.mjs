// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive time by function, and
// self time by package/area, as a share of the busy (non-idle) time.
//   node bench/profile-summary.mjs file.cpuprofile [top=30]
import { readFileSync } from 'node:fs'

function area(url) {
  if (!url) return '(native/V8)'
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/')
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]
  const out = /\.output\/server\/(.*)$/.exec(url)
  if (out) return `keygate:${out[1]}`
  return url.replace(/^file:\/\//, '')
}

/** A readable location for a function: the file inside its package, or the area. */
function where(url) {
  const nm = /node_modules\/(.*)$/.exec(url)
  if (nm) return nm[1]
  return area(url)
}

export function summarizeProfile(file, top = 30) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map(n => [n.id, n]))
  const self = new Map()
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
  const key = (n) => {
    const cf = n.callFrame
    return `${cf.functionName || '(anonymous)'} ${where(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`
  }
  const selfBy = new Map()
  const inclBy = new Map()
  const areaBy = new Map()
  let total = 0
  let idle = 0
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  for (const n of prof.nodes) {
    const us = self.get(n.id) ?? 0
    if (!us) continue
    const name = n.callFrame.functionName
    if (name === '(idle)' || name === '(program)') { idle += name === '(idle)' ? us : 0; if (name === '(idle)') continue }
    total += us
    const k = key(n)
    selfBy.set(k, (selfBy.get(k) ?? 0) + us)
    const a = name === '(garbage collector)' ? '(garbage collector)' : area(n.callFrame.url)
    areaBy.set(a, (areaBy.get(a) ?? 0) + us)
    // Inclusive: credit every distinct function on the stack once (recursion not double counted).
    const seen = new Set()
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id))
      if (seen.has(kk)) continue
      seen.add(kk)
      inclBy.set(kk, (inclBy.get(kk) ?? 0) + us)
    }
  }
  const pct = us => `${((us / total) * 100).toFixed(1).padStart(5)}%`
  const sorted = m => [...m.entries()].sort((a, b) => b[1] - a[1])
  const lines = [`busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`, '', 'self time by area:']
  for (const [k, us] of sorted(areaBy).slice(0, 15)) lines.push(`  ${pct(us)}  ${k}`)
  lines.push('', 'self time by function:')
  for (const [k, us] of sorted(selfBy).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`)
  lines.push('', 'inclusive time by function:')
  for (const [k, us] of sorted(inclBy).filter(([k]) => !/^\((root|program|anonymous)\)/.test(k)).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`)
  return {
    file, busyMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000),
    areas: sorted(areaBy).slice(0, 15).map(([k, us]) => ({ area: k, pct: Math.round((us / total) * 1000) / 10 })),
    self: sorted(selfBy).slice(0, top).map(([k, us]) => ({ fn: k, pct: Math.round((us / total) * 1000) / 10 })),
    text: lines.join('\n'),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 30)).text)
