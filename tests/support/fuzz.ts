import type fc from 'fast-check'

/** The failing assertion and the seed to replay it (fast-check's own report prints every huge generated string). */
export function shortReport<T>(d: fc.RunDetails<T>) {
  if (!d.failed) return
  const msg = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance)
  throw new Error(`fuzz case failed (seed ${d.seed}, path ${d.counterexamplePath}; replay with FUZZ_SEED=${d.seed}): ${msg.slice(0, 2000)}`)
}

/** fast-check parameters shared by the fuzzers: a fixed seed when FUZZ_SEED is set, no shrinking of huge batches. */
export function fuzzParams<T>(runs: number): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
  return { numRuns: runs, endOnFailure: true, reporter: shortReport<T>, ...(seed === undefined ? {} : { seed }) }
}
