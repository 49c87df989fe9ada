import { cpSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Nitro's node-server entry, which our entry (server/cluster/entry.ts) runs in every serving process.
const nodeServerEntry = fileURLToPath(new URL('./node_modules/nitropack/dist/presets/node/runtime/node-server.mjs', import.meta.url))

export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  srcDir: '.',
  // The console is a client-rendered app (Naive UI without SSR style handling).
  ssr: false,
  devtools: { enabled: false },
  telemetry: false,
  app: { head: { title: 'Keygate', meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }] } },
  typescript: { strict: true },
  hooks: {
    // Our /api error body first; everything else still gets Nuxt's own handler.
    'nitro:config'(config) {
      const nuxtHandlers = config.errorHandler ? [config.errorHandler].flat() : []
      config.errorHandler = [fileURLToPath(new URL('./server/apiErrors.ts', import.meta.url)), ...nuxtHandlers] as unknown as string
      // The built server's entry (WORKERS > 1: it forks worker processes first, node:cluster; each
      // runs node-server). `nuxt dev` keeps Nitro's own dev entry: one process.
      if (!config.dev) {
        config.entry = fileURLToPath(new URL('./server/cluster/entry.ts', import.meta.url))
        config.alias = { ...config.alias, '#keygate-node-server': nodeServerEntry }
        config.externals = { ...config.externals, inline: [...(config.externals?.inline ?? []), dirname(nodeServerEntry)] }
      }
    },
  },
  nitro: {
    preset: 'node-server',
    // Node 20 runs ES2022 as is: class fields stay native instead of becoming defineProperty
    // helper calls in every constructor (about 1 % of a proxied request's CPU in profiles).
    esbuild: { options: { target: 'es2022' } },
    hooks: {
      // Nitro gathers its runtime into one chunk, and with it every module the runtime reaches,
      // including the ones the primary shares with the workers: the primary would then load that
      // chunk, which creates the app and listens. Without the grouping, the app is only in the
      // chunks behind the entry's dynamic import of node-server.
      'rollup:before'(_nitro, rollupConfig) {
        if (rollupConfig.output) rollupConfig.output.manualChunks = undefined
      },
      // Migrations ship with the build so `node .output/server/index.mjs` can apply them.
      compiled(nitro) {
        cpSync(join(nitro.options.rootDir, 'db/migrations'), join(nitro.options.output.serverDir, 'db/migrations'), { recursive: true })
      },
    },
  },
})
