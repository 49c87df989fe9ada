import cluster from 'node:cluster'
import { trySend, type IpcPort } from './port'

/** The worker's slot number (1…WORKERS), kept by its replacement: /metrics labels requests by it. */
export const WORKER_ID_ENV = 'KEYGATE_WORKER_ID'
export const WORKER_READY = 'worker:ready'

/** How a worker process reaches the primary (WORKERS > 1); absent in a single process. */
export type WorkerLink = { id: number; primary: IpcPort }

export function workerLink(): WorkerLink | undefined {
  if (!cluster.isWorker) return undefined
  return { id: Number(process.env[WORKER_ID_ENV]) || cluster.worker?.id || 0, primary: process as unknown as IpcPort }
}

/** Tells the primary this worker has booted (the first boot is announced once all have). */
export function reportReady(link: WorkerLink) { trySend(link.primary, { kg: WORKER_READY }) }
