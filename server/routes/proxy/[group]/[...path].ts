import { handleProxy } from '../../../proxy/handler'

/** GPT-Load compatible: `/proxy/{group}/{path}` forwards `{path}` to the group's upstreams. */
export default defineEventHandler(event => handleProxy(event, { kind: 'group', group: getRouterParam(event, 'group') ?? '' }))
