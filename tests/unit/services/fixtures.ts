import type { GroupRow } from '../../../shared/types/rows'

export function groupRowFixture(over: Partial<GroupRow> = {}): GroupRow {
  return {
    id: 1, name: 'g', displayName: '', description: '', type: 'standard', channel: 'openai', upstreams: [{ url: 'http://127.0.0.1:9', weight: 1 }],
    testModel: 'm', validationPath: '', models: [], priority: 0, modelRedirects: {}, modelRedirectStrict: false, paramOverrides: {}, headerRules: [], allowedPaths: [],
    acceptsConversions: false, priceMultiplier: 1, config: {}, enabled: true, sort: 0, createdAt: 0, updatedAt: 0, ...over,
  }
}
