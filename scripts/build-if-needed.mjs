// Builds the app when .output is missing or older than any source file, so `npm start` and
// `npm test` work on a fresh clone without a separate build step.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SOURCES = ['server', 'pages', 'components', 'composables', 'middleware', 'layouts', 'plugins', 'shared', 'db', 'public', 'app.vue', 'nuxt.config.ts', 'package-lock.json']
const STAMP = '.output/server/index.mjs'

function newest(path) {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)))
  return max
}

export function buildIfNeeded({ force = false } = {}) {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0
  const stale = SOURCES.reduce((m, p) => Math.max(m, newest(p)), 0) > built
  if (!force && built && !stale) return
  console.log(built ? 'keygate: sources changed since the last build; building…' : 'keygate: first run; building the app (about a minute)…')
  const r = spawnSync('npx', ['nuxt', 'build'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } })
  if (r.status !== 0) {
    console.error('keygate: build failed')
    process.exit(r.status ?? 1)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfNeeded({ force: process.argv.includes('--force') })
