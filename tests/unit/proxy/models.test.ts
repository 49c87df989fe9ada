import { describe, expect, it } from 'vitest'
import { globMatcher, MAX_MODEL_LENGTH, modelMatcher, restrictsModels } from '../../../server/proxy/models'

describe('model patterns', () => {
  it.each([
    [['gpt-4o'], 'gpt-4o', true],
    [['gpt-4o'], 'gpt-4o-mini', false],
    // Exact names are compared as written; only `*` patterns ignore case (as before).
    [['gpt-4o'], 'GPT-4o', false],
    [['gpt-*'], 'gpt-4o', true],
    [['gpt-*'], 'gpt-', true],
    [['gpt-*'], 'chatgpt-4o', false],
    [['*-mini'], 'gpt-4o-mini', true],
    [['*-mini'], 'gpt-4o-mini-2024', false],
    [['a*b*c'], 'abc', true],
    [['a*b*c'], 'a-x-b-y-c', true],
    [['a*b*c'], 'acb', false],
    [['a*b*c'], 'ab', false],
    // The prefix and suffix may not share characters: "aba" is not "ab" + … + "ba".
    [['ab*ba'], 'aba', false],
    [['ab*ba'], 'abba', true],
    [['*gpt*mini*'], 'openai/gpt-4o-mini-2024', true],
    [['*gpt*mini*'], 'openai/mini-gpt', false],
    [['Claude-*'], 'claude-3-5-haiku', true],
    [['*HAIKU'], 'claude-3-5-haiku', true],
    [['gpt-4o', 'claude-*'], 'claude-3', true],
    [['*'], 'anything', true],
    [[], 'anything', true],
  ] as const)('%j matches %s: %s', (patterns, model, expected) => {
    expect(modelMatcher(patterns)(model)).toBe(expected)
  })

  it('refuses a model longer than the cap, whatever the patterns', () => {
    expect(modelMatcher(['a*'])(`a${'b'.repeat(MAX_MODEL_LENGTH)}`)).toBe(false)
    expect(modelMatcher(['a*'])(`a${'b'.repeat(MAX_MODEL_LENGTH - 1)}`)).toBe(true)
  })

  it('answers at once for a 300 KB adversarial model (no backtracking)', () => {
    const model = `${'gpt'.repeat(100_000)}-min`
    // The request path refuses such a name before matching; the glob alone must still be linear.
    expect(modelMatcher(['*gpt*mini*'])(model)).toBe(false)
    const started = performance.now()
    expect(globMatcher('*gpt*mini*')(model)).toBe(false)
    expect(globMatcher('*g*p*t*m*i*n*i*x')(model)).toBe(false)
    expect(globMatcher('*gpt*min')(model)).toBe(true)
    expect(performance.now() - started).toBeLessThan(2000) // a generous sanity bound: the old regex took minutes
  })

  it('says whether patterns limit the models', () => {
    expect(restrictsModels([])).toBe(false)
    expect(restrictsModels(null)).toBe(false)
    expect(restrictsModels(['*'])).toBe(false)
    expect(restrictsModels(['gpt-*'])).toBe(true)
  })
})
