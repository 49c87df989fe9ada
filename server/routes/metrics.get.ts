import { useKeygate } from '../utils/keygate'

/**
 * Prometheus scrape endpoint. Open like /health: scrapers usually carry no credentials, and it
 * exposes counts by group, route, status and model only, never keys or request content.
 */
export default defineEventHandler(async (event) => {
  const { contentType, body } = await useKeygate(event).metrics.render()
  setResponseHeader(event, 'content-type', contentType)
  setResponseHeader(event, 'cache-control', 'no-store')
  return body
})
