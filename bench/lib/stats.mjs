// Small statistics helpers shared by the load clients and the report.

/** Percentile (0-100) of a numeric array by nearest rank; sorts a copy. NaN when empty. */
export function percentile(values, p) {
  if (!values.length) return NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** { p10, p50, p90, p99, p999, max, n } of an array, rounded to 3 decimals. */
export function summarize(values) {
  if (!values.length) return { n: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = p => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
  const r = v => Math.round(v * 1000) / 1000
  return {
    n: sorted.length, p10: r(at(10)), p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), p999: r(at(99.9)), max: r(sorted[sorted.length - 1]),
  }
}

export const round = (v, digits = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v)
