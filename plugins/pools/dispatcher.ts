/**
 * A pool's connections behind one stable object. Routes (and the forwarder's
 * transport) hold `pool.dispatcher` for good; a config reload that changes a
 * pool's connection options (timeouts, per-target cap, TLS) swaps the Agent
 * behind it (`http1/agent.ts`, or undici's): new requests use the new Agent at once, the old one
 * finishes its requests and closes its connections (`Agent.close` is
 * graceful). When those options stay, nothing is swapped and open keep-alive
 * connections survive the reload. Framework-free.
 */
import { createRequire } from 'node:module'
import type { Dispatcher as UndiciDispatcher } from 'undici'

/** undici's Dispatcher base class alone (its package entry loads all of undici). */
export const Dispatcher = createRequire(import.meta.url)('undici/lib/dispatcher/dispatcher.js') as typeof UndiciDispatcher
type Agent = UndiciDispatcher

/**
 * undici's Dispatcher with its `close`/`destroy` overloads (promise or
 * callback, with or without an error) answered by two promise methods.
 */
export abstract class PromiseDispatcher extends Dispatcher {
  /** Finish what runs, then close. */
  protected abstract closeAll (): Promise<void>
  /** End everything now; what runs hears `err`. */
  protected abstract destroyAll (err: Error | null): Promise<void>

  override close (): Promise<void>
  override close (callback: () => void): void
  override close (callback?: () => void): Promise<void> | undefined {
    const closing = this.closeAll()
    if (callback === undefined) return closing
    closing.then(callback, callback)
    return undefined
  }

  override destroy (): Promise<void>
  override destroy (err: Error | null): Promise<void>
  override destroy (callback: () => void): void
  override destroy (err: Error | null, callback: () => void): void
  override destroy (errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | undefined {
    const err = typeof errOrCallback === 'function' ? null : errOrCallback ?? null
    const done = typeof errOrCallback === 'function' ? errOrCallback : callback
    const destroying = this.destroyAll(err)
    if (done === undefined) return destroying
    destroying.then(done, done)
    return undefined
  }
}

export class SwappableDispatcher extends PromiseDispatcher {
  private current: Agent

  constructor (agent: Agent) {
    super()
    this.current = agent
  }

  /** The Agent in use now. */
  get agent (): Agent {
    return this.current
  }

  override dispatch (options: UndiciDispatcher.DispatchOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
    return this.current.dispatch(options, handler)
  }

  /** Use `next` from now on; the previous Agent is closed once its requests are done. Resolves when it is. */
  async swap (next: Agent): Promise<void> {
    const previous = this.current
    this.current = next
    await previous.close()
  }

  protected override async closeAll (): Promise<void> {
    await this.current.close()
  }

  protected override async destroyAll (err: Error | null): Promise<void> {
    await this.current.destroy(err)
  }
}
