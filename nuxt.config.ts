import { cpSync } from 'node:fs'
import { join } from 'node:path'

export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  srcDir: '.',
  // The console is a client-rendered app (Naive UI without SSR style handling).
  ssr: false,
  devtools: { enabled: false },
  telemetry: false,
  app: { head: { title: 'Keygate', meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }] } },
  typescript: { strict: true },
  nitro: {
    preset: 'node-server',
    hooks: {
      // Migrations ship with the build so `node .output/server/index.mjs` can apply them.
      compiled(nitro) {
        cpSync(join(nitro.options.rootDir, 'db/migrations'), join(nitro.options.output.serverDir, 'db/migrations'), { recursive: true })
      },
    },
  },
})
