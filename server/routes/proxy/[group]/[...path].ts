import { useKeygate } from '../../../utils/keygate'

/** GPT-Load compatible: `/proxy/{group}/{path}` forwards `{path}` to the group's upstreams. */
export default defineEventHandler(event => useKeygate(event).engine.handle(event.node.req, event.node.res, { kind: 'group', group: getRouterParam(event, 'group') ?? '' }))
