/** Realistic upstream bodies (shapes as the providers document them), plain and streamed. */

const sse = (events: unknown[], done = true) =>
  events.map(e => `data: ${JSON.stringify(e)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')
const named = (events: ({ type: string } & Record<string, unknown>)[]) =>
  events.map(e => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')

const chatChunk = (delta: object, extra: object = {}) => ({
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT', object: 'chat.completion.chunk', created: 1741569952,
  model: 'gpt-4.1-2025-04-14', service_tier: 'default', system_fingerprint: 'fp_b3f1157249',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...extra,
})

export function openaiChatPlain(cached?: number) {
  return JSON.stringify({
    id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', object: 'chat.completion', created: 1741570283, model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', content: 'The "usage": {"prompt_tokens": 999} field is documented.', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: 1117, completion_tokens: 46, total_tokens: 1163,
      prompt_tokens_details: { cached_tokens: cached ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default', system_fingerprint: 'fp_fc9f1d7035',
  }, null, 2)
}

/** With `include_usage`, every chunk carries `"usage":null` and one extra chunk has `choices: []`. */
export function openaiChatStream(opts: { cached?: number; includeUsage: boolean }) {
  const u = opts.includeUsage ? { usage: null } : {}
  const events: unknown[] = [
    chatChunk({ role: 'assistant', content: '', refusal: null }, u),
    chatChunk({ content: 'Hello' }, u),
    chatChunk({ content: ' "usage":{"prompt_tokens":5}' }, u),
    { ...chatChunk({}, u), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
  ]
  if (opts.includeUsage) {
    events.push({
      ...chatChunk({}), choices: [],
      usage: {
        prompt_tokens: 19, completion_tokens: 10, total_tokens: 29,
        prompt_tokens_details: { cached_tokens: opts.cached ?? 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    })
  }
  return sse(events)
}

const responseObject = (status: string, usage: unknown) => ({
  id: 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41', object: 'response', created_at: 1741476777, status,
  error: null, incomplete_details: null, instructions: null, max_output_tokens: null, model: 'gpt-4o-2024-08-06',
  output: status === 'completed'
    ? [{ type: 'message', id: 'msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'In a peaceful grove...', annotations: [] }] }]
    : [],
  parallel_tool_calls: true, previous_response_id: null, reasoning: { effort: null, summary: null }, store: true, temperature: 1,
  text: { format: { type: 'text' } }, tool_choice: 'auto',
  tools: [{ type: 'function', name: 'report', parameters: { type: 'object', properties: { usage: { type: 'object', properties: { input_tokens: { type: 'number' } } } } } }],
  top_p: 1, truncation: 'disabled', usage, user: null, metadata: {},
})

const responsesUsage = (cached: number) => ({
  input_tokens: 328, input_tokens_details: { cached_tokens: cached },
  output_tokens: 52, output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 380,
})

export function openaiResponsesPlain(cached = 0) {
  return JSON.stringify(responseObject('completed', responsesUsage(cached)))
}

export function openaiResponsesStream(cached = 0) {
  return named([
    { type: 'response.created', sequence_number: 0, response: responseObject('in_progress', null) },
    { type: 'response.in_progress', sequence_number: 1, response: responseObject('in_progress', null) },
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } },
    { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi {"usage":{"input_tokens":1}}' },
    { type: 'response.output_text.done', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hi' },
    { type: 'response.completed', sequence_number: 5, response: responseObject('completed', responsesUsage(cached)) },
  ])
}

const anthropicUsage = (cacheRead: number, cacheWrite: number, output: number) => ({
  input_tokens: 472, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead,
  cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 }, output_tokens: output, service_tier: 'standard',
})

export function anthropicPlain(cacheRead = 0, cacheWrite = 0) {
  return JSON.stringify({
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514',
    content: [
      { type: 'text', text: 'Calling a tool with "usage": {"input_tokens": 3}' },
      { type: 'tool_use', id: 'toolu_01', name: 'log', input: { usage: { input_tokens: 7, output_tokens: 8 } } },
    ],
    stop_reason: 'tool_use', stop_sequence: null, usage: anthropicUsage(cacheRead, cacheWrite, 89),
  })
}

export function anthropicStream(cacheRead = 0, cacheWrite = 0) {
  return named([
    { type: 'message_start', message: { id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-20250514', stop_reason: null, stop_sequence: null, usage: anthropicUsage(cacheRead, cacheWrite, 1) } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello "usage": {"output_tokens": 1000}' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } },
    { type: 'message_stop' },
  ])
}

const geminiChunk = (text: string, usage: Record<string, unknown>, finish?: string) => ({
  candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
  usageMetadata: usage, modelVersion: 'gemini-2.5-flash', responseId: 'mKdEaJbVJ9OBqtsPxJqRwAk',
})

const geminiUsage = (cached: number, thoughts: number, candidates: number) => ({
  promptTokenCount: 2048, candidatesTokenCount: candidates, totalTokenCount: 2048 + candidates + thoughts,
  ...(cached ? { cachedContentTokenCount: cached, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] } : {}),
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 2048 }],
  ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
})

export function geminiPlain(cached = 0, thoughts = 0) {
  return JSON.stringify(geminiChunk('Hi "usageMetadata": {"promptTokenCount": 1}', geminiUsage(cached, thoughts, 12), 'STOP'), null, 2)
}

/** `streamGenerateContent?alt=sse`: usage in every chunk, cumulative. */
export function geminiSse(cached = 0, thoughts = 0) {
  return [
    geminiChunk('Hel', { promptTokenCount: 2048, totalTokenCount: 2048 }),
    geminiChunk('lo', geminiUsage(cached, thoughts, 5)),
    geminiChunk(' world', geminiUsage(cached, thoughts, 12), 'STOP'),
  ].map(e => `data: ${JSON.stringify(e)}\r\n\r\n`).join('')
}

/** `streamGenerateContent` without `alt=sse`: one JSON array, written element by element. */
export function geminiJsonArrayStream(cached = 0, thoughts = 0) {
  const els = [geminiChunk('Hel', { promptTokenCount: 2048, totalTokenCount: 2048 }), geminiChunk(' world', geminiUsage(cached, thoughts, 12), 'STOP')]
  return '[' + els.map(e => JSON.stringify(e, null, 2)).join(',\r\n') + ']'
}
