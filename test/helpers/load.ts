/**
 * Steady load for reload tests: `clients` loops, each GETting its URLs in
 * turn until stopped (bounded by `maxMs` and `maxRequests` per client).
 * Every answer but a 200 with a JSON body, and every network error, is a
 * failure. The clients use their own connection pool, closed by `stop`, so
 * that they leave no socket behind.
 */
export interface LoadResult {
  requests: number
  failures: string[]
  /** Count of answers by the `backend` field of the JSON body. */
  byBackend: Map<string, number>
}

export interface Load {
  /** Stop the loops, wait for the requests in flight, and report. */
  stop: () => Promise<LoadResult>
  /** Answers so far. */
  readonly requests: number
}

import { Agent, fetch } from 'undici'

export function startLoad (urls: string[], options: { clients?: number, maxMs?: number, maxRequests?: number } = {}): Load {
  const clients = options.clients ?? 8
  const deadline = Date.now() + (options.maxMs ?? 60_000)
  const maxRequests = options.maxRequests ?? 100_000
  const result: LoadResult = { requests: 0, failures: [], byBackend: new Map() }
  const state = { stopped: false }
  const agent = new Agent({ connections: clients })
  const loop = async (client: number): Promise<void> => {
    for (let i = 0; !state.stopped && Date.now() < deadline && i < maxRequests; i++) {
      const url = urls[(client + i) % urls.length] as string
      try {
        const res = await fetch(url, { dispatcher: agent })
        const text = await res.text()
        result.requests++
        if (res.status !== 200) { result.failures.push(`${url}: ${res.status} ${text.slice(0, 120)}`); continue }
        const backend = (JSON.parse(text) as { backend?: string }).backend ?? '?'
        result.byBackend.set(backend, (result.byBackend.get(backend) ?? 0) + 1)
      } catch (err) {
        result.requests++
        result.failures.push(`${url}: ${String((err as Error).cause ?? err)}`)
      }
    }
  }
  const loops = Array.from({ length: clients }, async (_, c) => { await loop(c) })
  return {
    get requests () { return result.requests },
    stop: async () => {
      state.stopped = true
      await Promise.all(loops)
      await agent.close()
      return result
    }
  }
}

/** Wait until `check` holds (polling), or throw naming `what`. */
export async function waitUntil (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
