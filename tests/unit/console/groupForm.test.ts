import { describe, expect, it } from 'vitest'
import { GroupCreateSchema, type GroupView } from '../../../shared/schemas/groups'
import { toBody, toFormModel } from '../../../utils/groupForm'
import { exampleModel, groupSnippets } from '../../../utils/snippets'

const MSG = { jsonObject: 'must be a JSON object', pickGroup: 'choose a group' }

const view: GroupView = {
  id: 7, name: 'oa', displayName: 'OpenAI main', description: 'd', type: 'standard', channel: 'openai',
  upstreams: [{ url: 'https://a.example', weight: 3 }, { url: 'https://b.example', weight: 0 }],
  testModel: 'gpt-4o-mini', validationPath: '/v1/models', models: ['gpt-4o*', 'o3'], priority: 5,
  modelRedirects: { 'o3': 'o3-2025-04-16', 'gpt-4o': 'gpt-4o-2024-11-20' }, modelRedirectStrict: true,
  paramOverrides: { temperature: 0.2, metadata: { team: 'a' } },
  headerRules: [{ name: 'x-team', value: 'a', action: 'set' }, { name: 'x-drop', value: '', action: 'remove' }],
  allowedPaths: ['POST /v1/files', 'GET /v1/files/*'], acceptsConversions: true, priceMultiplier: 1.5,
  config: { max_retries: 7, request_log_body: true, proxy_url: '' }, subGroups: [], enabled: false, sort: 4,
  endpoint: 'http://x/proxy/oa', createdAt: 1, updatedAt: 2,
}

describe('the console\'s group form', () => {
  it('gives back every writable field of the group it was filled from, and never `sort` (the list\'s order owns it)', () => {
    const { body, problems } = toBody(toFormModel(view), MSG)
    expect(problems).toEqual({})
    const { id: _i, endpoint: _e, createdAt: _c, updatedAt: _u, sort: _s, ...writable } = view
    expect(body).toEqual(writable)
    expect('sort' in body).toBe(false)
    expect(GroupCreateSchema.safeParse(body).success).toBe(true)
  })

  it('sends only the overrides that are switched on', () => {
    const form = toFormModel(view)
    form.config.max_retries.on = false
    form.config.cooldown_seconds = { on: true, value: 5 }
    expect(toBody(form, MSG).body.config).toEqual({ request_log_body: true, proxy_url: '', cooldown_seconds: 5 })
  })

  it('refuses parameter overrides that are not a JSON object, and an aggregate row with no group chosen', () => {
    for (const text of ['[1, 2]', '"x"', '{bad', 'null']) {
      const form = toFormModel(view)
      form.paramOverrides = text
      expect(toBody(form, MSG).problems).toEqual({ paramOverrides: 'must be a JSON object' })
    }
    const agg = toFormModel(null, 'aggregate')
    agg.name = 'pool'
    expect(toBody(agg, MSG).problems).toEqual({ subGroups: 'choose a group' })
    agg.subGroups = [{ groupId: 3, weight: 2 }]
    const { body, problems } = toBody(agg, MSG)
    expect(problems).toEqual({})
    expect(body).toMatchObject({ type: 'aggregate', upstreams: [], subGroups: [{ groupId: 3, weight: 2 }] })
  })

  it('drops empty rows, trims names, and reads models from commas or spaces', () => {
    const form = toFormModel(null)
    form.name = ' new '
    form.models = 'a,  b c,,'
    form.upstreams.push({ url: '  ', weight: 1 })
    form.redirects = [{ from: ' a ', to: ' b ' }, { from: '', to: '' }]
    form.headerRules = [{ name: ' ', value: 'x', action: 'set' }]
    form.allowedPaths = 'POST /v1/files\n\n'
    const { body } = toBody(form, MSG)
    expect(body).toMatchObject({ name: 'new', models: ['a', 'b', 'c'], modelRedirects: { a: 'b' }, headerRules: [], allowedPaths: ['POST /v1/files'] })
    expect(body.upstreams).toEqual([{ url: 'https://api.openai.com', weight: 1 }])
  })
})

describe('the console\'s endpoint examples', () => {
  it('point the group\'s own SDK at its /proxy endpoint and the others at the unified routes, with a model it serves', () => {
    const base = 'http://10.0.0.5:8080'
    const snippets = groupSnippets({ base, endpoint: `${base}/proxy/claude`, channel: 'anthropic', model: 'claude-x' })
    const by = Object.fromEntries(snippets.map(s => [s.kind, s]))
    expect(by.anthropic!.native).toBe(true)
    expect(by.anthropic!.code).toContain(`baseURL: "${base}/proxy/claude"`)
    expect(by.openai!.native).toBe(false)
    expect(by.openai!.code).toContain(`baseURL: "${base}/v1"`)
    expect(by.gemini!.code).toContain(`baseUrl: "${base}"`)
    expect(by.curl!.code).toContain(`curl ${base}/proxy/claude/v1/messages`)
    for (const s of snippets) expect(s.code).toContain('claude-x')
    expect(exampleModel(['gpt-4o*', 'o3'], 't', 'f')).toBe('o3')
    expect(exampleModel(['gpt-*'], '', 'fallback')).toBe('fallback')
  })
})
