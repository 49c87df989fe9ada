import type { GroupRow } from '../../shared/types/rows'

/** A complete group row for unit tests; override what the test is about. */
export function groupRow(over: Partial<GroupRow> = {}): GroupRow {
  return {
    id: 1, name: 'g1', displayName: '', description: '', type: 'standard', channel: 'openai',
    upstreams: [{ url: 'http://127.0.0.1:1', weight: 1 }], testModel: 'gpt-4o-mini', validationPath: '',
    models: ['*'], priority: 0, modelRedirects: {}, modelRedirectStrict: false, paramOverrides: {}, headerRules: [], allowedPaths: [],
    acceptsConversions: false, priceMultiplier: 1, config: {}, enabled: true, sort: 0, createdAt: 0, updatedAt: 0, ...over,
  }
}
