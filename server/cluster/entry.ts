import cluster from 'node:cluster'
import { answerClientErrorsGracefully } from '../utils/clientErrors'
import { readConfig, runPrimary } from './primary'

/**
 * The server entry (nuxt.config.ts points Nitro's node-server build here). One process serves
 * with WORKERS=1; with more, this process becomes the primary and forks the workers, each of
 * which runs Nitro's own node-server entry on the shared port.
 */
const config = cluster.isPrimary ? readConfig() : undefined
if (config && config.workers > 1) await runPrimary(config)
else {
  answerClientErrorsGracefully()
  await import('#keygate-node-server')
}
