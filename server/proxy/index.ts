import type { EngineDeps, ProxyEngine } from './ports'

export type * from './ports'

/**
 * Builds the proxy engine: loads groups, keys and proxy keys into memory through `deps.data`,
 * follows change notices and other instances' key states, and resolves once every pool is loaded.
 */
export async function createProxyEngine(deps: EngineDeps): Promise<ProxyEngine> {
  void deps
  throw new Error('createProxyEngine: not wired yet')
}
