import { appFailed, lifecycle, runShutdown } from '../app'
import { boot } from '../boot'
import { ConfigError, parseConfig, resolveSecrets, type Config } from '../config'
import { createLogger } from '../logger'

function fail(message: string): never {
  process.stderr.write(`keygate: ${message}\n`)
  process.exit(1)
}

/**
 * Runs while Nitro creates the app, before the node-server entry reads PORT and installs its
 * SIGTERM handler: so the contract's defaults (port 3001, SHUTDOWN_TIMEOUT) are in place by then.
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
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      lifecycle.draining = true
      log.info(`${signal}: draining in-flight requests (up to ${config.shutdownTimeoutSeconds}s)`)
    })
  }
  nitroApp.hooks.hook('close', async () => {
    await runShutdown(log)
    log.info('shutdown complete')
    log.flush?.()
  })

  boot(config, secrets, log).then(
    () => {
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
      appFailed(err)
      if (err instanceof ConfigError) fail(err.message)
      fail(`startup failed: ${(err as Error)?.stack ?? err}`)
    },
  )
})
