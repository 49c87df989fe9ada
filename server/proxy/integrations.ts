/**
 * The engine's seams to the usage parsers, the request log and the metrics, which live in their
 * own modules: the engine imports them from here only.
 */
export { createInjectedUsageStripper, createUsageTap, type Usage, type UsageTap } from './usage'
export { enqueueRequestLog, type RequestLogEntry } from '../services/requestLog'
export { metrics, setKeyStateSource } from '../services/metrics'
