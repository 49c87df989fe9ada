/**
 * Provider answers and requests as their API references document them (shapes and field names
 * from the documented examples: OpenAI chat streaming with tool calls, Anthropic streaming with
 * extended thinking and tool use, Gemini thinking and function calling).
 */
const sse = (events: unknown[], done = true) => events.map(e => `data: ${JSON.stringify(e)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')
const named = (events: ({ type: string } & Record<string, unknown>)[]) => events.map(e => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')

const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
  id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', system_fingerprint: 'fp_44709d6fcb',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra,
})

/** OpenAI: streaming a function call (platform.openai.com/docs/guides/function-calling#streaming). */
export const openaiToolStream = sse([
  chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'location' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '":"' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'Paris, France' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"}' } }] }),
  chunk({}, 'tool_calls'),
  { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 0 } } },
])

/** Anthropic: streaming with extended thinking, then a tool call (docs.anthropic.com/en/docs/build-with-claude/streaming). */
export const anthropicThinkingToolStream = named([
  { type: 'message_start', message: { id: 'msg_01...', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5', stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 2 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants the weather. ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'I should call get_weather.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Okay, let\'s check the weather for San Francisco, CA:' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"location":' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' "San Francisco, CA", "unit": "fahrenheit"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } },
  { type: 'message_stop' },
])

/** Gemini: a thinking answer with a function call (ai.google.dev/gemini-api/docs/thinking, function-calling). */
export const geminiThinkingToolAnswer = {
  candidates: [{
    content: { role: 'model', parts: [
      { text: '**Checking the weather**\nThe user asks about London.', thought: true },
      { functionCall: { name: 'get_current_temperature', args: { location: 'London' } }, thoughtSignature: 'CiQB0e2Kb...' },
    ] },
    finishReason: 'STOP', index: 0,
  }],
  usageMetadata: {
    promptTokenCount: 101, candidatesTokenCount: 15, totalTokenCount: 301, thoughtsTokenCount: 185, cachedContentTokenCount: 40,
  },
  modelVersion: 'gemini-2.5-flash', responseId: 'mQ9HaNuIBaSJ1dkPuKXb6Qs',
}

/** Gemini: streamed answer (alt=sse), two chunks, usage on each. */
export const geminiStream = sse([
  { candidates: [{ content: { role: 'model', parts: [{ text: 'The opposite of hot' }] }, index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.5-flash', responseId: 'abc' },
  { candidates: [{ content: { role: 'model', parts: [{ text: ' is cold.' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 5, totalTokenCount: 14 }, modelVersion: 'gemini-2.5-flash', responseId: 'abc' },
], false)

/** OpenAI: the documented function-calling request (platform.openai.com/docs/api-reference/chat/create, "Functions"). */
export const openaiToolRequest = {
  model: 'gpt-4.1',
  messages: [
    { role: 'developer', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is the weather like in Boston today?' },
  ],
  tools: [{
    type: 'function',
    function: {
      name: 'get_current_weather', description: 'Get the current weather in a given location',
      parameters: { type: 'object', properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] },
    },
  }],
  tool_choice: 'auto',
  temperature: 0.2, top_p: 0.9, max_completion_tokens: 300, stop: ['\n\n'],
}

/** Anthropic: the documented extended-thinking request with a tool result turn. */
export const anthropicThinkingRequest = {
  model: 'claude-sonnet-4-5', max_tokens: 16000, thinking: { type: 'enabled', budget_tokens: 10000 },
  system: [{ type: 'text', text: 'You are a weather bot.' }],
  tools: [{ name: 'get_weather', description: 'Get the current weather in a given location', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  messages: [
    { role: 'user', content: 'What\'s the weather in Paris?' },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'The user wants the weather in Paris.', signature: 'EqQBCgIYAhIM...' },
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'Paris, France' } },
    ] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' }] },
  ],
  stop_sequences: ['STOP'],
}

/** Gemini: the documented function-calling request with a function response turn, JSON output and thinking config. */
export const geminiToolRequest = {
  systemInstruction: { parts: [{ text: 'You are a lighting assistant.' }] },
  contents: [
    { role: 'user', parts: [{ text: 'Turn the lights down to a romantic level' }] },
    { role: 'model', parts: [{ functionCall: { name: 'set_light_values', args: { brightness: 25, color_temp: 'warm' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'set_light_values', response: { brightness: 25, colorTemperature: 'warm' } } }] },
  ],
  tools: [{ functionDeclarations: [{ name: 'set_light_values', description: 'Sets the brightness and color temperature of a light.', parameters: { type: 'OBJECT', properties: { brightness: { type: 'NUMBER' }, color_temp: { type: 'STRING', enum: ['daylight', 'cool', 'warm'] } }, required: ['brightness', 'color_temp'] } }] }],
  toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['set_light_values'] } },
  generationConfig: { temperature: 0.5, maxOutputTokens: 2048, thinkingConfig: { thinkingBudget: 1024 }, stopSequences: ['END'] },
}
