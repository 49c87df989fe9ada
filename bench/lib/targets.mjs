// The processes under test: the mock upstream, the bare reference proxy, and Keygate (or, with
// --stand-in, reference proxies in Keygate's place so the harness can be exercised without it).
import { request as httpRequest, Agent as HttpAgent } from 'node:http'
import { fileURLToPath } from 'node:url'
import { startChild, waitReady, stopChild, pin, memory } from './procs.mjs'
import { LOAD_CORE } from './load.mjs'
import { startKeygate, createGroup, addKeys, createProxyKey, benchKeys } from './keygate.mjs'

const here = p => fileURLToPath(new URL(p, import.meta.url))
export const PROXY_CORE = 1
export const CLIENT_KEY = 'bench-client-key-0123456789'
export const CHAT_PATH = '/v1/chat/completions'
export const MODEL = 'bench-model'
export const SLOW_MODEL = 'bench-slow-model'

/** One mock process; profile "fast" answers at once (streams: 20 chunks 5 ms apart), "slow" streams 1 chunk/s. */
export async function startMock({ slowChunks }) {
  const entry = startChild('mock-upstream', process.execPath, [here('../mock-upstream.mjs'), '--profile', 'fast:0:20:5', '--profile', `slow:0:${slowChunks}:1000`], { core: LOAD_CORE })
  const { ports } = await waitReady(entry)
  const base = name => `http://127.0.0.1:${ports[name]}`
  return {
    pid: entry.child.pid, fast: base('fast'), slow: base('slow'),
    stats: async (reset = false) => (await fetch(`${base('fast')}/__stats`, { method: reset ? 'POST' : 'GET' })).json(),
    stop: () => stopChild(entry),
  }
}

export async function startReference({ upstream, keys = 3, core = PROXY_CORE, name = 'reference' }) {
  const entry = startChild(name, process.execPath, [here('../reference-proxy.mjs'), '--upstream', upstream, '--keys', String(keys), '--client-key', CLIENT_KEY], { core })
  const { port } = await waitReady(entry)
  return { pid: entry.child.pid, url: `http://127.0.0.1:${port}`, stop: () => stopChild(entry) }
}

/**
 * Keygate with groups `bench` (fast mock, 3 keys, model bench-model) and `bench-slow` (slow mock)
 * and a proxy key. Returns { pid, key, proxyUrl, v1Url, slowUrl, slowModel, stop }.
 */
export async function startSubject({ mock, standIn, cpuProfDir }) {
  if (standIn) {
    const fast = await startReference({ upstream: mock.fast, name: 'stand-in' })
    const slow = await startReference({ upstream: mock.slow, name: 'stand-in-slow' })
    return {
      kind: 'stand-in (reference proxy)', pid: fast.pid, key: CLIENT_KEY,
      proxyUrl: fast.url + CHAT_PATH, v1Url: fast.url + CHAT_PATH, slowUrl: slow.url + CHAT_PATH, slowPid: slow.pid,
      stop: async () => { await fast.stop(); await slow.stop() },
    }
  }
  const kg = await startKeygate({ core: PROXY_CORE, cpuProfDir })
  const keys = benchKeys(3, 'sk-bench-a-')
  const bench = await createGroup(kg, { name: 'bench', upstream: mock.fast, models: [MODEL] })
  await addKeys(kg, bench.id, keys)
  const slow = await createGroup(kg, { name: 'bench-slow', upstream: mock.slow, models: [SLOW_MODEL] })
  await addKeys(kg, slow.id, benchKeys(3, 'sk-bench-s-'))
  const key = await createProxyKey(kg)
  return {
    kind: 'keygate', pid: kg.pid, key, kg,
    proxyUrl: `${kg.url}/proxy/bench${CHAT_PATH}`, v1Url: `${kg.url}${CHAT_PATH}`, slowUrl: `${kg.url}/proxy/bench-slow${CHAT_PATH}`, slowPid: kg.pid,
    stop: () => kg.stop(),
  }
}

/**
 * A second Keygate (started on the load core so its key import does not disturb the proxy core)
 * with a 3-key group and a `count`-key group on the fast mock, keys imported through the API.
 * Call `moveToProxyCore()` before measuring.
 */
export async function startManyKeys({ mock, standIn, count, importTimeoutMs, log }) {
  if (standIn) {
    const three = await startReference({ upstream: mock.fast, keys: 3, core: LOAD_CORE, name: 'stand-in-3' })
    const many = await startReference({ upstream: mock.fast, keys: count, core: LOAD_CORE, name: 'stand-in-many' })
    return {
      key: CLIENT_KEY, pids: [three.pid, many.pid], threeUrl: three.url + CHAT_PATH, manyUrl: many.url + CHAT_PATH,
      pidFor: which => (which === 'three' ? three.pid : many.pid),
      import: { keys: count, seconds: 0, keysPerSecond: null, note: 'stand-in: keys generated in memory, no import' },
      moveToProxyCore: () => { pin(three.pid, PROXY_CORE); pin(many.pid, PROXY_CORE) },
      stop: async () => { await three.stop(); await many.stop() },
    }
  }
  const kg = await startKeygate({ name: 'keygate-many-keys', core: LOAD_CORE })
  const stall = probeStalls(kg.url)
  try {
    const three = await createGroup(kg, { name: 'keys3', upstream: mock.fast, models: ['bench-keys3'] })
    await addKeys(kg, three.id, benchKeys(3, 'sk-bench-t-'))
    const many = await createGroup(kg, { name: 'keysmany', upstream: mock.fast, models: ['bench-keysmany'] })
    const keys = benchKeys(count, 'sk-bench-m-')
    const imported = await addKeys(kg, many.id, keys, {
      timeoutMs: importTimeoutMs,
      onProgress: done => log(`  many keys: ${done.toLocaleString('en')} of ${count.toLocaleString('en')} imported`),
    })
    log(`  many keys: ${count.toLocaleString('en')} keys imported in ${imported.seconds.toFixed(1)} s`)
    const stats = await kg.api('GET', `/api/groups/${many.id}/stats`).catch(err => ({ error: err.message }))
    const key = await createProxyKey(kg)
    const manyUrl = `${kg.url}/proxy/keysmany${CHAT_PATH}`
    // The key pool reloads after the import's change notice; wait until the group serves.
    const loadStarted = Date.now()
    for (;;) {
      const res = await fetch(manyUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${key}` }, body: JSON.stringify({ model: 'bench-keysmany', messages: [{ role: 'user', content: 'hi' }] }) }).catch(err => ({ status: err.message, text: async () => '' }))
      const text = await res.text()
      if (res.status === 200) break
      if (Date.now() - loadStarted > 120_000) throw new Error(`the ${count}-key group does not serve 120 s after its import: ${res.status} ${text.slice(0, 300)}`)
      await new Promise(r => setTimeout(r, 500))
    }
    imported.poolReadySeconds = (Date.now() - loadStarted) / 1000
    imported.rssMbWithKeys = Math.round(memory(kg.pid).rssKb / 1024)
    imported.maxHealthLatencyMs = stall.stop()
    return {
      key, pids: [kg.pid], threeUrl: `${kg.url}/proxy/keys3${CHAT_PATH}`, manyUrl,
      pidFor: () => kg.pid,
      import: { keys: count, ...imported, groupStats: stats },
      moveToProxyCore: () => pin(kg.pid, PROXY_CORE),
      stop: () => kg.stop(),
    }
  } catch (err) {
    stall.stop()
    await kg.stop()
    throw new Error(`${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}; server log tail:\n${kg.log().slice(-1500)}`)
  }
}

/**
 * Polls /health every 100 ms on fresh connections while the keys are imported and loaded; the
 * slowest answer shows how long the server's event loop stood still (every route waits then).
 */
function probeStalls(base) {
  const agent = new HttpAgent({ keepAlive: false })
  let max = 0
  let on = true
  ;(async () => {
    while (on) {
      const t = Date.now()
      await new Promise(resolve => httpRequest(`${base}/health`, { agent }, (res) => { res.resume(); res.on('end', resolve) }).on('error', resolve).end())
      max = Math.max(max, Date.now() - t)
      await new Promise(r => setTimeout(r, 100))
    }
  })()
  return { stop: () => { on = false; return max } }
}
