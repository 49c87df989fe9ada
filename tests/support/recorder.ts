import { expect } from 'vitest'

/**
 * Collects everything clients received (headers and bodies), so a suite can assert at the end
 * that no upstream key ever reached a client, a log row or a log line.
 */
export function createRecorder() {
  const seen: string[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    seen.push(`${res.status} ${JSON.stringify([...res.headers])}`)
    res.clone().text().then(t => seen.push(t), () => {})
    return res
  }
  return {
    fetch: recordingFetch,
    seen,
    add(...items: unknown[]) { for (const i of items) seen.push(typeof i === 'string' ? i : JSON.stringify(i)) },
    /** Fails when any recorded text contains any of `secrets`. */
    expectNoSecrets(secrets: string[], extra: string[] = []) {
      const all = [...seen, ...extra].join('\n')
      for (const s of secrets) expect(all.includes(s), `upstream key ${s.slice(0, 6)}… leaked`).toBe(false)
    },
  }
}
