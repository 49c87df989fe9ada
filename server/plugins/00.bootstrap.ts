import type { H3Event } from 'h3'
import { reportReady, workerLink } from '../cluster/worker'
import { ConfigError, parseConfig, resolveSecrets, type Config } from '../config'
import { createKeygate, createLifecycle, type Keygate } from '../core'
import { createLogger } from '../logger'
import type { ProxyEngine } from '../proxy/ports'

function fail(message: string): never {
  process.stderr.write(`keygate: ${message}\n`)
  process.exit(1)
}

const GROUP_PATH = /^\/proxy\/([a-z0-9_-]{1,100})(?:[/?]|$)/

/**
 * Runs while Nitro creates the app, before the node-server entry reads PORT and installs its
 * SIGTERM handler: so the contract's defaults (port 3001, SHUTDOWN_TIMEOUT) are in place by then.
 * Builds Keygate through core (not awaited by Nitro: requests wait on the lifecycle), keeps it in
 * this closure, puts it on each request's context, and closes it when Nitro closes.
 */
export default defineNitroPlugin((nitroApp) => {
  let config: Config
  let secrets: ReturnType<typeof resolveSecrets>
  try {
    config = parseConfig(process.env)
    secrets = resolveSecrets(config)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  process.env.PORT = String(config.port)
  process.env.HOST = config.host
  delete process.env.NITRO_PORT
  delete process.env.NITRO_HOST
  process.env.NITRO_SHUTDOWN_TIMEOUT = String(Math.max(1, config.shutdownTimeoutSeconds * 1000))

  const log = createLogger(config.logLevel, config.logFormat)
  const lifecycle = createLifecycle<Keygate>()
  let keygate: Keygate | undefined
  /** Set once ready: the proxy fast path below serves through it. */
  let engine: ProxyEngine | undefined

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      lifecycle.draining = true
      log.info(`${signal}: draining in-flight requests (up to ${config.shutdownTimeoutSeconds}s)`)
    })
  }
  nitroApp.hooks.hook('request', (event) => {
    event.context.lifecycle = lifecycle
    if (keygate) event.context.keygate = keygate
  })
  nitroApp.hooks.hook('close', async () => {
    await keygate?.close()
    log.info('shutdown complete')
    log.flush?.()
  })

  // Proxy requests skip Nitro's per-request machinery (request hooks, route rules, the
  // middleware chain and the router): on a small chat completion it costs about as much as
  // the whole engine, and the benchmark holds Keygate to 0.9× a bare proxy's throughput.
  // The route files under server/routes serve the same paths through the normal stack, which
  // is what runs until the app is ready (the readiness gate lives there).
  const app = nitroApp.h3App
  const full = app.handler
  app.handler = Object.assign((event: H3Event) => {
    if (engine === undefined) return full(event)
    const url = event.node.req.url ?? '/'
    if (url.startsWith('/v1/') || url.startsWith('/v1beta/')) return engine.handle(event.node.req, event.node.res, { kind: 'unified' })
    if (url.startsWith('/proxy/')) {
      const m = GROUP_PATH.exec(url)
      if (m) return engine.handle(event.node.req, event.node.res, { kind: 'group', group: m[1]! })
    }
    return full(event)
  }, full)

  const worker = workerLink()
  createKeygate(config, secrets, log, { lifecycle, worker }).then(
    (built) => {
      keygate = built
      engine = built.engine
      // A worker's readiness is the primary's to announce, once for all of them.
      if (worker) {
        log.info(`worker ${worker.id} (pid ${process.pid}) ready`)
        reportReady(worker)
        return
      }
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
      const url = `http://${host}:${config.port}/`
      log.info(`Keygate is ready. Console: ${url}`)
      if (secrets.generatedAuthKey) {
        process.stdout.write(`\n  Console:   ${url}\n  Admin key: ${secrets.authKey}\n  (generated once into ${config.dataDir}/auth-key; set AUTH_KEY to choose your own)\n\n`)
      } else if (!config.authKey) {
        log.info(`admin key: in ${config.dataDir}/auth-key`)
      }
    },
    (err) => {
      if (err instanceof ConfigError) fail(err.message)
      fail(`startup failed: ${(err as Error)?.stack ?? err}`)
    },
  )
})
