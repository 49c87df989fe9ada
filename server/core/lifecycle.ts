/**
 * Where this instance is in its life: starting (`ready` false), serving, or draining after a
 * signal. Made before the app is built (requests arriving during boot wait on `whenReady`), so it
 * is created by whoever starts Keygate and handed to core, which marks it ready.
 */
export interface Lifecycle<App> {
  ready: boolean
  draining: boolean
  /** Resolves with the built app once boot has finished; rejects when boot failed. */
  readonly whenReady: Promise<App>
  markReady(app: App): void
  markFailed(err: unknown): void
}

export function createLifecycle<App>(): Lifecycle<App> {
  let resolve!: (app: App) => void
  let reject!: (err: unknown) => void
  const whenReady = new Promise<App>((res, rej) => { resolve = res; reject = rej })
  whenReady.catch(() => {})
  const lifecycle: Lifecycle<App> = {
    ready: false,
    draining: false,
    whenReady,
    markReady(app) {
      lifecycle.ready = true
      resolve(app)
    },
    markFailed: err => reject(err),
  }
  return lifecycle
}
