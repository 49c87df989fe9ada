import type { Logger } from '../logger'

/**
 * The shutdown steps of whatever has been built so far, run in reverse order of registration:
 * each part is closed before the parts it depends on. A failing step is logged and the rest
 * still run.
 */
export interface Teardown {
  add(name: string, close: () => Promise<void> | void): void
  run(): Promise<void>
}

export function createTeardown(log: Logger): Teardown {
  const steps: { name: string; close: () => Promise<void> | void }[] = []
  return {
    add(name, close) { steps.push({ name, close }) },
    async run() {
      for (const s of steps.splice(0).reverse()) {
        try { await s.close() } catch (err) { log.error({ err }, `shutdown step "${s.name}" failed`) }
      }
    },
  }
}
