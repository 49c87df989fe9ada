import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../../server/services/metrics'
import { parsePrometheus, sample } from '../../support/prometheus'

const metrics = createMetrics()

async function scrape() {
  const { contentType, body } = await metrics.render()
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheus(body)
}

describe('metrics', () => {
  it('counts finished requests by route, group and status, with latency and TTFT histograms', async () => {
    metrics.requestFinished({ route: 'proxy', group: 'alpha', status: 200, durationMs: 40, ttftMs: 3, stream: true })
    metrics.requestFinished({ route: 'proxy', group: 'alpha', status: 200, durationMs: 700, ttftMs: null, stream: false })
    metrics.requestFinished({ route: 'proxy', group: 'alpha', status: 503, durationMs: 2, ttftMs: null, stream: false })
    metrics.requestFinished({ route: 'v1', group: 'beta', status: 200, durationMs: 20_000, ttftMs: 1500, stream: true })
    const { samples, types } = await scrape()

    expect(types.keygate_requests_total).toBe('counter')
    expect(types.keygate_request_duration_seconds).toBe('histogram')
    expect(types.keygate_ttft_seconds).toBe('histogram')
    expect(sample(samples, 'keygate_requests_total', { route: 'proxy', group: 'alpha', status: '200' })).toBe(2)
    expect(sample(samples, 'keygate_requests_total', { route: 'proxy', group: 'alpha', status: '503' })).toBe(1)
    expect(sample(samples, 'keygate_requests_total', { route: 'v1', group: 'beta', status: '200' })).toBe(1)

    const plain = { route: 'proxy', group: 'alpha', stream: 'false' }
    expect(sample(samples, 'keygate_request_duration_seconds_count', plain)).toBe(2)
    expect(sample(samples, 'keygate_request_duration_seconds_sum', plain)).toBeCloseTo(0.702)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { ...plain, le: '0.005' })).toBe(1)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { ...plain, le: '0.5' })).toBe(1)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { ...plain, le: '1' })).toBe(2)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { ...plain, le: '+Inf' })).toBe(2)

    expect(sample(samples, 'keygate_ttft_seconds_count', { route: 'proxy', group: 'alpha' })).toBe(1)
    expect(sample(samples, 'keygate_ttft_seconds_bucket', { route: 'proxy', group: 'alpha', le: '0.0025' })).toBe(0)
    expect(sample(samples, 'keygate_ttft_seconds_bucket', { route: 'proxy', group: 'alpha', le: '0.005' })).toBe(1)
    expect(sample(samples, 'keygate_ttft_seconds_sum', { route: 'v1', group: 'beta' })).toBeCloseTo(1.5)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { route: 'v1', group: 'beta', stream: 'true', le: '10' })).toBe(0)
    expect(sample(samples, 'keygate_request_duration_seconds_bucket', { route: 'v1', group: 'beta', stream: 'true', le: '30' })).toBe(1)
  })

  it('counts attempts by outcome and tokens by group, model and kind', async () => {
    metrics.attempt({ group: 'alpha', outcome: 'retry' })
    metrics.attempt({ group: 'alpha', outcome: 'retry' })
    metrics.attempt({ group: 'alpha', outcome: 'success' })
    metrics.attempt({ group: 'alpha', outcome: 'aborted' })
    metrics.tokens('alpha', 'gpt-4o', 100, 20, 64)
    metrics.tokens('alpha', 'gpt-4o', 1, 2, 0)
    const { samples, types } = await scrape()
    expect(types.keygate_attempts_total).toBe('counter')
    expect(sample(samples, 'keygate_attempts_total', { group: 'alpha', outcome: 'retry' })).toBe(2)
    expect(sample(samples, 'keygate_attempts_total', { group: 'alpha', outcome: 'success' })).toBe(1)
    expect(sample(samples, 'keygate_attempts_total', { group: 'alpha', outcome: 'aborted' })).toBe(1)
    expect(sample(samples, 'keygate_tokens_total', { group: 'alpha', model: 'gpt-4o', kind: 'prompt' })).toBe(101)
    expect(sample(samples, 'keygate_tokens_total', { group: 'alpha', model: 'gpt-4o', kind: 'completion' })).toBe(22)
    expect(sample(samples, 'keygate_tokens_total', { group: 'alpha', model: 'gpt-4o', kind: 'cached' })).toBe(64)
  })

  it('caps the model names per group so a client cannot blow up the series count', async () => {
    for (let i = 0; i < 1000; i++) metrics.tokens('open', `m-${i}`, 1, 1, 0)
    const { samples } = await scrape()
    const models = new Set(samples.filter(s => s.name === 'keygate_tokens_total' && s.labels.group === 'open').map(s => s.labels.model))
    expect(models.size).toBe(201)
    expect(sample(samples, 'keygate_tokens_total', { group: 'open', model: 'other', kind: 'prompt' })).toBe(800)
  })

  it('reads keys by state from the registered source at scrape time', async () => {
    let active = 3
    metrics.observeKeyStates(() => ({ 'alpha': { active, cooling: 1, invalid: 0, disabled: 2 }, 'we"ird\\name': { active: 1, cooling: 0, invalid: 0, disabled: 0 } }))
    const first = await scrape()
    let samples = first.samples
    expect(first.types.keygate_keys).toBe('gauge')
    expect(sample(samples, 'keygate_keys', { group: 'alpha', state: 'active' })).toBe(3)
    expect(sample(samples, 'keygate_keys', { group: 'alpha', state: 'disabled' })).toBe(2)
    expect(sample(samples, 'keygate_keys', { group: 'we"ird\\name', state: 'active' })).toBe(1)
    active = 7
    metrics.observeKeyStates(() => ({ alpha: { active, cooling: 0, invalid: 0, disabled: 0 } }))
    ;({ samples } = await scrape())
    expect(sample(samples, 'keygate_keys', { group: 'alpha', state: 'active' })).toBe(7)
    expect(sample(samples, 'keygate_keys', { group: 'we"ird\\name', state: 'active' })).toBeUndefined()
  })

  it('includes the default process metrics', async () => {
    const { types } = await scrape()
    expect(types.process_cpu_seconds_total).toBe('counter')
    expect(types.nodejs_heap_size_used_bytes).toBe('gauge')
  })
})
