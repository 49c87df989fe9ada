import type { Metric, Registry } from 'prom-client'

/**
 * Counters and histograms for the proxy's per-request path. prom-client's own metrics hash and
 * validate the label set on every `inc`/`observe`, even through `labels()` children; here a label
 * set is resolved once to a plain cell and recording is a field update. prom-client still does
 * the registry and the text format: these classes answer its `get()` at scrape time in the same
 * shape its own Counter and Histogram do.
 */

type Labels = Record<string, string>
type Value = { labels: Labels; value: number; metricName?: string; sharedLabels?: Labels }

export type CounterCell = { readonly labels: Labels; value: number }
export type HistogramCell = { readonly labels: Labels; readonly buckets: number[]; sum: number; count: number }

abstract class CellMetric<C> {
  readonly aggregator = 'sum' as const
  protected cells: C[] = []
  constructor(readonly name: string, readonly help: string, registry: Registry) {
    registry.registerMetric(this as unknown as Metric)
  }
}

export class CellCounter extends CellMetric<CounterCell> {
  readonly type = 'counter' as const

  cell(labels: Labels): CounterCell {
    const c = { labels, value: 0 }
    this.cells.push(c)
    return c
  }

  async get() {
    return {
      name: this.name, help: this.help, type: this.type, aggregator: this.aggregator,
      values: this.cells.map((c): Value => ({ labels: c.labels, value: c.value })),
    }
  }

  reset() { for (const c of this.cells) c.value = 0 }
}

export class CellHistogram extends CellMetric<HistogramCell> {
  readonly type = 'histogram' as const

  constructor(name: string, help: string, registry: Registry, private readonly bounds: readonly number[]) {
    super(name, help, registry)
  }

  cell(labels: Labels): HistogramCell {
    const c = { labels, buckets: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 }
    this.cells.push(c)
    return c
  }

  observe(c: HistogramCell, value: number) {
    const b = this.bounds
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) { c.buckets[i]!++; break }
    }
    c.sum += value
    c.count++
  }

  async get() {
    const values: Value[] = []
    const bucket = `${this.name}_bucket`
    for (const c of this.cells) {
      let acc = 0
      for (let i = 0; i < this.bounds.length; i++) {
        acc += c.buckets[i]!
        values.push({ labels: { le: String(this.bounds[i]) }, value: acc, metricName: bucket, sharedLabels: c.labels })
      }
      values.push({ labels: { le: '+Inf' }, value: c.count, metricName: bucket, sharedLabels: c.labels })
      values.push({ labels: {}, value: c.sum, metricName: `${this.name}_sum`, sharedLabels: c.labels })
      values.push({ labels: {}, value: c.count, metricName: `${this.name}_count`, sharedLabels: c.labels })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset() {
    for (const c of this.cells) { c.buckets.fill(0); c.sum = 0; c.count = 0 }
  }
}

/** A two-level label lookup (`a` → `b` → cell) that creates cells on first use. */
export function cellTable<C>(make: (a: string, b: string) => C) {
  const outer = new Map<string, Map<string, C>>()
  return (a: string, b: string): C => {
    let inner = outer.get(a)
    if (!inner) outer.set(a, inner = new Map())
    let c = inner.get(b)
    if (!c) inner.set(b, c = make(a, b))
    return c
  }
}
