import {
  arr, ConversionError, fieldOf, isObj, LIMITS, num, obj, parseArguments, pushMessage, refuseUnknown, resultText, str, toolName,
  type IrMessage, type IrPart, type IrRequest, type IrToolChoice, type Obj,
} from '../ir'
import type { BuiltRequest } from '../types'

const KNOWN = new Set(['contents', 'systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config', 'generationConfig', 'generation_config', 'model', 'labels'])
const CONFIG = new Set([
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema',
  'thinkingConfig', 'candidateCount',
])
const PATH = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/

export const geminiPathModel = (path: string) => {
  const m = PATH.exec(path)
  return m ? { model: decodeURIComponent(m[1]!), stream: m[2] === 'streamGenerateContent' } : null
}

function parts(content: unknown, f: string, role: 'user' | 'assistant', calls: Map<string, string[]>, msgIndex: number): IrPart[] {
  const c = obj(content, f)
  return arr(c.parts, `${f}.parts`, LIMITS.partsPerMessage).map((p, i): IrPart => {
    const pf = `${f}.parts[${i}]`
    const o = obj(p, pf)
    if (typeof o.text === 'string') {
      if (o.thought === true) return { type: 'thinking', text: o.text, signature: str(o.thoughtSignature, `${pf}.thoughtSignature`, true) }
      return { type: 'text', text: o.text }
    }
    if (isObj(o.inlineData)) {
      const d = o.inlineData
      const mediaType = str(d.mimeType, `${pf}.inlineData.mimeType`)
      if (!mediaType.startsWith('image/')) throw new ConversionError(`${pf}.inlineData.mimeType`, `"${mediaType}" cannot be converted; only images`)
      return { type: 'image', source: 'base64', mediaType, data: str(d.data, `${pf}.inlineData.data`) }
    }
    if (isObj(o.fileData)) {
      const uri = str(o.fileData.fileUri, `${pf}.fileData.fileUri`)
      if (!/^https?:\/\//i.test(uri)) throw new ConversionError(`${pf}.fileData.fileUri`, 'only http(s) image URLs can be converted')
      return { type: 'image', source: 'url', url: uri }
    }
    if (isObj(o.functionCall)) {
      if (role !== 'assistant') throw new ConversionError(`${pf}.functionCall`, 'belongs to model turns')
      const fc = o.functionCall
      const name = toolName(fc.name, `${pf}.functionCall.name`)
      // Gemini matches results to calls by name and order when it sends no ids; ours must be stable within the request.
      const id = str(fc.id, `${pf}.functionCall.id`, true) || `call_${msgIndex}_${i}`
      const pending = calls.get(name) ?? []
      pending.push(id)
      calls.set(name, pending)
      return { type: 'tool_call', id, name, arguments: JSON.stringify(fc.args === undefined ? {} : obj(fc.args, `${pf}.functionCall.args`)) }
    }
    if (isObj(o.functionResponse)) {
      const fr = o.functionResponse
      const name = toolName(fr.name, `${pf}.functionResponse.name`)
      const pending = calls.get(name) ?? []
      const given = str(fr.id, `${pf}.functionResponse.id`, true)
      const id = given && pending.includes(given) ? given : pending[0]
      if (!id) throw new ConversionError(`${pf}.functionResponse.name`, `"${name}" answers no earlier functionCall`)
      pending.splice(pending.indexOf(id), 1)
      const r = fr.response
      const content = isObj(r) && typeof r.content === 'string' && Object.keys(r).length === 1 ? r.content : JSON.stringify(r ?? {})
      return { type: 'tool_result', id, name, content, isError: isObj(r) && r.error !== undefined && Object.keys(r).length === 1 }
    }
    throw new ConversionError(pf, 'this kind of part cannot be converted to the group\'s API')
  })
}

function toolChoice(v: unknown): IrToolChoice | undefined {
  if (v === undefined || v === null) return undefined
  const fc = obj(obj(v, 'toolConfig').functionCallingConfig ?? {}, 'toolConfig.functionCallingConfig')
  const allowed = arr(fc.allowedFunctionNames, 'toolConfig.functionCallingConfig.allowedFunctionNames', LIMITS.tools)
  switch (fc.mode) {
    case undefined: case 'AUTO': case 'MODE_UNSPECIFIED': return { type: 'auto' }
    case 'NONE': return { type: 'none' }
    case 'ANY': case 'VALIDATED':
      if (allowed.length > 1) throw new ConversionError('toolConfig.functionCallingConfig.allowedFunctionNames', 'only one allowed function can be converted')
      return allowed.length ? { type: 'tool', name: toolName(allowed[0], 'toolConfig.functionCallingConfig.allowedFunctionNames[0]') } : { type: 'required' }
    default: throw new ConversionError('toolConfig.functionCallingConfig.mode', `"${String(fc.mode)}" is not a known mode`)
  }
}

/** generateContent request → IR; the model and whether it streams come from the path. */
export function parseGenerateRequest(path: string, query: URLSearchParams, body: Obj): IrRequest {
  refuseUnknown(body, KNOWN)
  const target = geminiPathModel(path)
  if (!target) throw new ConversionError('path', 'is not a generateContent call')
  if (target.stream && query.get('alt') !== 'sse') throw new ConversionError('alt', 'a converted stream is sent as server-sent events: add ?alt=sse')
  const calls = new Map<string, string[]>()
  const messages: IrMessage[] = []
  arr(body.contents, 'contents', LIMITS.messages).forEach((c, i) => {
    const o = obj(c, `contents[${i}]`)
    const role = o.role === 'model' ? 'assistant' : o.role === 'user' || o.role === undefined || o.role === 'function' ? 'user' : null
    if (!role) throw new ConversionError(`contents[${i}].role`, `"${String(o.role)}" is not user or model`)
    pushMessage(messages, role, parts(o, `contents[${i}]`, role, calls, i))
  })
  const si = body.systemInstruction ?? body.system_instruction
  const system = si === undefined ? [] : [resultText(obj(si, 'systemInstruction').parts, 'systemInstruction.parts')]
  const tools = arr(body.tools, 'tools', LIMITS.tools).flatMap((t, i) => {
    const o = obj(t, `tools[${i}]`)
    const other = Object.keys(o).find(k => k !== 'functionDeclarations' && k !== 'function_declarations')
    if (other) throw new ConversionError(`tools[${i}].${other}`, 'only functionDeclarations can be converted')
    return arr(o.functionDeclarations ?? o.function_declarations, `tools[${i}].functionDeclarations`, LIMITS.tools).map((d, j) => {
      const f = `tools[${i}].functionDeclarations[${j}]`
      const fd = obj(d, f)
      const schema = fd.parametersJsonSchema ?? fd.parameters
      return { name: toolName(fd.name, `${f}.name`), description: str(fd.description, `${f}.description`, true), parameters: schema === undefined ? { type: 'object', properties: {} } : lowerTypes(obj(schema, `${f}.parameters`)) }
    })
  })
  const g = obj(body.generationConfig ?? body.generation_config ?? {}, 'generationConfig')
  refuseUnknown(g, CONFIG, 'generationConfig.')
  if (g.candidateCount !== undefined && g.candidateCount !== 1) throw new ConversionError('generationConfig.candidateCount', 'only 1 candidate can be converted')
  let responseFormat: IrRequest['responseFormat']
  if (g.responseMimeType === 'application/json') {
    const schema = g.responseJsonSchema ?? g.responseSchema
    responseFormat = schema === undefined ? { type: 'json' } : { type: 'json_schema', name: 'response', schema: lowerTypes(obj(schema, 'generationConfig.responseSchema')) }
  } else if (g.responseMimeType !== undefined && g.responseMimeType !== 'text/plain') {
    throw new ConversionError('generationConfig.responseMimeType', `"${String(g.responseMimeType)}" cannot be converted`)
  }
  let reasoning: IrRequest['reasoning']
  if (g.thinkingConfig !== undefined) {
    const t = obj(g.thinkingConfig, 'generationConfig.thinkingConfig')
    const budget = num(t.thinkingBudget, 'generationConfig.thinkingConfig.thinkingBudget')
    if (budget !== undefined && budget > 0) reasoning = { budgetTokens: budget }
    else if (budget === undefined && typeof t.thinkingLevel === 'string') reasoning = { effort: t.thinkingLevel.toLowerCase() === 'low' ? 'low' : 'high' }
  }
  return {
    model: target.model, system, messages, tools, toolChoice: toolChoice(body.toolConfig ?? body.tool_config),
    maxTokens: num(g.maxOutputTokens, 'generationConfig.maxOutputTokens'), temperature: num(g.temperature, 'generationConfig.temperature'),
    topP: num(g.topP, 'generationConfig.topP'), topK: num(g.topK, 'generationConfig.topK'),
    stop: arr(g.stopSequences, 'generationConfig.stopSequences', LIMITS.stop).map((s, i) => str(s, `generationConfig.stopSequences[${i}]`)),
    responseFormat, reasoning, stream: target.stream, streamUsage: true,
    fields: {
      responseFormat: 'generationConfig.responseMimeType', reasoning: 'generationConfig.thinkingConfig', temperature: 'generationConfig.temperature',
      topK: 'generationConfig.topK', topP: 'generationConfig.topP', image: 'fileData', maxTokens: 'generationConfig.maxOutputTokens',
    },
  }
}

/** Gemini's OpenAPI schemas name types in capitals (`OBJECT`); JSON Schema, which the others take, in lower case. */
function lowerTypes(schema: Obj): Obj {
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 64) throw new ConversionError('parameters', 'is nested more than 64 levels deep')
    if (Array.isArray(v)) return v.map(x => walk(x, depth + 1))
    if (!isObj(v)) return v
    const out: Obj = {}
    for (const k in v) out[k] = k === 'type' && typeof v[k] === 'string' ? (v[k] as string).toLowerCase() : walk(v[k], depth + 1)
    return out
  }
  return walk(schema, 0) as Obj
}

/** Tool results go back as `{content}` objects; a result that is itself a JSON object goes back as that object. */
function functionResponse(content: string): Obj {
  try {
    const v: unknown = JSON.parse(content)
    if (isObj(v)) return v
  } catch {}
  return { content }
}

const EFFORT_BUDGET = { minimal: 512, low: 2048, medium: 8192, high: 24576 } as const

/** IR → a generateContent (or streamGenerateContent with alt=sse) request. */
export function buildGenerateRequest(ir: IrRequest, model: string): BuiltRequest {
  const contents = ir.messages.map((m) => {
    const out: Obj[] = []
    for (const p of m.parts) {
      switch (p.type) {
        case 'text': if (p.text) out.push({ text: p.text }); break
        case 'image':
          if (p.source === 'url') throw new ConversionError(fieldOf(ir, 'image'), 'Gemini takes images inline (base64), not by URL')
          out.push({ inlineData: { mimeType: p.mediaType, data: p.data } })
          break
        case 'tool_call': out.push({ functionCall: { name: p.name, args: parseArguments(p.arguments, 'tool call arguments') } }); break
        case 'tool_result': out.push({ functionResponse: { name: p.name, response: functionResponse(p.content) } }); break
        // Reasoning from earlier turns is not Gemini's to verify; Gemini keeps its own through thought signatures.
        case 'thinking': break
      }
    }
    return { role: m.role === 'assistant' ? 'model' : 'user', parts: out }
  }).filter(c => c.parts.length)
  const body: Obj = { contents }
  if (ir.system.length) body.systemInstruction = { parts: [{ text: ir.system.join('\n\n') }] }
  if (ir.tools.length) {
    const declarations = ir.tools.map(t => ({
      name: t.name, ...(t.description ? { description: t.description } : {}), parametersJsonSchema: t.parameters,
    }))
    body.tools = [{ functionDeclarations: declarations }]
  }
  const tc = ir.toolChoice
  if (tc) {
    body.toolConfig = { functionCallingConfig: tc.type === 'tool' ? { mode: 'ANY', allowedFunctionNames: [tc.name] } : { mode: tc.type === 'required' ? 'ANY' : tc.type.toUpperCase() } }
  }
  if (ir.parallelToolCalls === false && ir.tools.length) throw new ConversionError(fieldOf(ir, 'parallelToolCalls'), 'Gemini cannot be told to call one function at a time')
  const g: Obj = {}
  if (ir.maxTokens !== undefined) g.maxOutputTokens = ir.maxTokens
  if (ir.temperature !== undefined) g.temperature = ir.temperature
  if (ir.topP !== undefined) g.topP = ir.topP
  if (ir.topK !== undefined) g.topK = ir.topK
  if (ir.stop.length) g.stopSequences = ir.stop
  const rf = ir.responseFormat
  if (rf) {
    g.responseMimeType = 'application/json'
    if (rf.type === 'json_schema') g.responseJsonSchema = rf.schema
  }
  if (ir.reasoning) g.thinkingConfig = { thinkingBudget: ir.reasoning.budgetTokens ?? EFFORT_BUDGET[ir.reasoning.effort ?? 'medium'], includeThoughts: true }
  if (Object.keys(g).length) body.generationConfig = g
  const m = encodeURIComponent(model)
  return ir.stream
    ? { path: `/v1beta/models/${m}:streamGenerateContent`, query: 'alt=sse', body }
    : { path: `/v1beta/models/${m}:generateContent`, query: '', body }
}
