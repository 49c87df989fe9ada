// `npm start`: build when needed, then run the server in the foreground with the embedded defaults.
import { spawn } from 'node:child_process'
import { buildIfNeeded } from './build-if-needed.mjs'

buildIfNeeded()
const child = spawn(process.execPath, ['.output/server/index.mjs'], { stdio: 'inherit', env: process.env })
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
