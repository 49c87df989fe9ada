import { z } from 'zod'

/**
 * The request bodies each provider documents, strict: a converted request that carries a field
 * the provider does not know, or misses one it requires, fails here as it would fail there.
 * (OpenAI: platform.openai.com/docs/api-reference; Anthropic: docs.anthropic.com/en/api/messages;
 * Gemini: ai.google.dev/api/generate-content.)
 */
const jsonObject = z.record(z.string(), z.unknown())

const oaTool = z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().min(1), description: z.string().optional(), parameters: jsonObject, strict: z.boolean().optional() }) })
const oaToolCall = z.strictObject({ id: z.string().min(1), type: z.literal('function'), function: z.strictObject({ name: z.string(), arguments: z.string() }) })
const oaUserPart = z.union([
  z.strictObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('image_url'), image_url: z.strictObject({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }) }),
])
const oaMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string() }),
  z.strictObject({ role: z.literal('developer'), content: z.string() }),
  z.strictObject({ role: z.literal('user'), content: z.union([z.string(), z.array(oaUserPart).min(1)]) }),
  z.strictObject({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(oaToolCall).optional() }),
  z.strictObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: z.string() }),
])
export const openaiChatRequest = z.strictObject({
  model: z.string().min(1), messages: z.array(oaMessage).min(1),
  max_tokens: z.number().int().optional(), max_completion_tokens: z.number().int().optional(),
  temperature: z.number().min(0).max(2).optional(), top_p: z.number().optional(), stop: z.array(z.string()).max(4).optional(),
  stream: z.literal(true).optional(), stream_options: z.strictObject({ include_usage: z.boolean() }).optional(),
  tools: z.array(oaTool).optional(), tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) })]).optional(),
  parallel_tool_calls: z.boolean().optional(), reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
  response_format: z.union([z.strictObject({ type: z.literal('json_object') }), z.strictObject({ type: z.literal('json_schema'), json_schema: z.strictObject({ name: z.string(), schema: jsonObject, strict: z.boolean().optional() }) })]).optional(),
})

const respContent = z.union([
  z.strictObject({ type: z.literal('input_text'), text: z.string() }),
  z.strictObject({ type: z.literal('output_text'), text: z.string() }),
  z.strictObject({ type: z.literal('input_image'), image_url: z.string(), detail: z.enum(['auto', 'low', 'high']) }),
])
const respItem = z.union([
  z.strictObject({ type: z.literal('message'), role: z.enum(['user', 'assistant', 'system', 'developer']), content: z.array(respContent).min(1) }),
  z.strictObject({ type: z.literal('function_call'), call_id: z.string().min(1), name: z.string(), arguments: z.string() }),
  z.strictObject({ type: z.literal('function_call_output'), call_id: z.string().min(1), output: z.string() }),
])
export const openaiResponsesRequest = z.strictObject({
  model: z.string().min(1), input: z.array(respItem).min(1), instructions: z.string().optional(), store: z.boolean().optional(),
  max_output_tokens: z.number().int().optional(), temperature: z.number().optional(), top_p: z.number().optional(),
  stream: z.literal(true).optional(),
  tools: z.array(z.strictObject({ type: z.literal('function'), name: z.string(), description: z.string().optional(), parameters: jsonObject, strict: z.boolean() })).optional(),
  tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.strictObject({ type: z.literal('function'), name: z.string() })]).optional(),
  parallel_tool_calls: z.boolean().optional(), reasoning: z.strictObject({ effort: z.string(), summary: z.string().optional() }).optional(),
  text: z.strictObject({ format: jsonObject }).optional(),
})

const anImageSource = z.union([
  z.strictObject({ type: z.literal('base64'), media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('url'), url: z.string().url() }),
])
const anBlock = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.string().min(1) }),
  z.strictObject({ type: z.literal('image'), source: anImageSource }),
  z.strictObject({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string(), input: jsonObject }),
  z.strictObject({ type: z.literal('tool_result'), tool_use_id: z.string().min(1), content: z.string(), is_error: z.boolean().optional() }),
  z.strictObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() }),
])
export const anthropicMessagesRequest = z.strictObject({
  model: z.string().min(1), max_tokens: z.number().int().min(1),
  messages: z.array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(anBlock).min(1)]) })).min(1),
  system: z.string().optional(), temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().optional(), top_k: z.number().int().optional(),
  stop_sequences: z.array(z.string()).optional(), stream: z.literal(true).optional(),
  tools: z.array(z.strictObject({ name: z.string().min(1), description: z.string().optional(), input_schema: jsonObject })).optional(),
  tool_choice: z.strictObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional(), disable_parallel_tool_use: z.boolean().optional() }).optional(),
  thinking: z.strictObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) }).optional(),
}).superRefine((b, ctx) => {
  // Roles alternate and a user turn's tool results come first.
  b.messages.forEach((m, i) => {
    if (i > 0 && b.messages[i - 1]!.role === m.role) ctx.addIssue({ code: 'custom', message: `messages[${i}] repeats role ${m.role}` })
    if (Array.isArray(m.content)) {
      const firstOther = m.content.findIndex(c => c.type !== 'tool_result')
      if (firstOther >= 0 && m.content.slice(firstOther).some(c => c.type === 'tool_result')) ctx.addIssue({ code: 'custom', message: `messages[${i}]: tool_result after other content` })
    }
  })
})

const gePart = z.union([
  z.strictObject({ text: z.string() }),
  z.strictObject({ inlineData: z.strictObject({ mimeType: z.string(), data: z.string().min(1) }) }),
  z.strictObject({ functionCall: z.strictObject({ name: z.string(), args: jsonObject }) }),
  z.strictObject({ functionResponse: z.strictObject({ name: z.string(), response: jsonObject }) }),
])
export const geminiGenerateRequest = z.strictObject({
  contents: z.array(z.strictObject({ role: z.enum(['user', 'model']), parts: z.array(gePart).min(1) })).min(1),
  systemInstruction: z.strictObject({ parts: z.array(z.strictObject({ text: z.string() })) }).optional(),
  tools: z.array(z.strictObject({
    functionDeclarations: z.array(z.strictObject({
      name: z.string(), description: z.string().optional(), parametersJsonSchema: jsonObject,
    })),
  })).optional(),
  toolConfig: z.strictObject({ functionCallingConfig: z.strictObject({ mode: z.enum(['AUTO', 'ANY', 'NONE']), allowedFunctionNames: z.array(z.string()).optional() }) }).optional(),
  generationConfig: z.strictObject({
    maxOutputTokens: z.number().int().optional(), temperature: z.number().optional(),
    topP: z.number().optional(), topK: z.number().optional(),
    stopSequences: z.array(z.string()).optional(), responseMimeType: z.string().optional(), responseJsonSchema: jsonObject.optional(),
    thinkingConfig: z.strictObject({ thinkingBudget: z.number().int(), includeThoughts: z.boolean() }).optional(),
  }).optional(),
})

export const PROVIDER_SCHEMAS = {
  'openai': openaiChatRequest,
  'openai-response': openaiResponsesRequest,
  'anthropic': anthropicMessagesRequest,
  'gemini': geminiGenerateRequest,
} as const
