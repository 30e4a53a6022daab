/**
 * Active health checks of one pool (HAProxy's `check`, Envoy's HTTP health
 * checker): each target is probed with `GET health.path` — or, with
 * `health.type: "tcp"`, by a TCP connect that must succeed — (on
 * `health.port` when set) every `intervalMs`, each interval up to 10% shorter at random so
 * that checks of many targets and gateways spread out. A probe fails on a
 * connect error, on no answer within `timeoutMs`, or on a status outside
 * `expectStatus`. A target leaves rotation after `unhealthyThreshold` failed
 * probes in a row and returns after `healthyThreshold` good ones; each change
 * is logged once with its reason.
 *
 * Writes `Target.healthy`, `reason`/`since` and the slow-start ramp; ends an
 * outlier ejection early when probes pass `healthyThreshold` times during it.
 * `onResult` hears every recorded probe (cluster mode shares results with the
 * workers from it).
 * Every probe uses its own connection (closed after it), so a probe never
 * waits behind traffic and a dead listener is seen at once. Framework-free.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, isIP } from 'node:net'
import type { Target } from '../pools/target.js'
import type { PoolConfig } from '../pools/options.js'
import type { OutlierDetector } from './outlier-detector.js'
import { silentLogger, type HealthLogger } from './logger.js'

export type HealthCheckConfig = NonNullable<PoolConfig['health']>

/** Largest share by which one interval is shortened at random. */
export const HEALTH_CHECK_JITTER = 0.1
const USER_AGENT = 'switchyard-health-check'

export interface HealthCheckerOptions {
  /** Pool name, for logs. */
  poolName: string
  /** The targets to probe, or a function returning them (read at `start`; later changes come through `addTarget`/`removeTarget`). */
  targets: readonly Target[] | (() => readonly Target[])
  health: HealthCheckConfig
  /** Slow start applied when a target returns (ms, 0 = off). */
  slowStartMs?: number
  /** TLS options for `https://` targets. */
  tls?: { ca?: Buffer | undefined, rejectUnauthorized?: boolean | undefined } | undefined
  /** The pool's outlier detector: active checks can end an ejection early. */
  outlier?: OutlierDetector | undefined
  log?: HealthLogger
  /** Source of randomness for the jitter (tests). */
  random?: () => number
  /** Told after each probe is recorded: whether it passed, the passes in a row, and whether `healthy` changed. */
  onResult?: ((target: Target, result: ProbeResult) => void) | undefined
}

/** One recorded probe, as `onResult` hears it. */
export interface ProbeResult {
  passed: boolean
  /** Passing probes in a row, this one included (0 after a failure). */
  okStreak: number
  /** This probe moved the target in or out of rotation. */
  changed: boolean
}

interface ProbeState {
  target: Target
  timer: NodeJS.Timeout | undefined
  /** The probe in flight: an HTTP request, or a socket for `type: tcp`. */
  probe: { destroy: () => void } | undefined
  okStreak: number
  failStreak: number
  /** Good probes in a row while the target is ejected by outlier detection. */
  okWhileEjected: number
  /** The target left the pool: no more probes. */
  removed: boolean
  /** A target added to a running pool: out until its first probe, which alone may put it in. */
  awaitingFirst: boolean
}

export class HealthChecker {
  private readonly options: HealthCheckerOptions
  private readonly log: HealthLogger
  private readonly random: () => number
  private readonly minStatus: number
  private readonly maxStatus: number
  private readonly states: ProbeState[] = []
  private running = false

  constructor (options: HealthCheckerOptions) {
    this.options = options
    this.log = options.log ?? silentLogger
    this.random = options.random ?? Math.random
    const [min, max] = parseStatusRange(options.health.expectStatus)
    this.minStatus = min
    this.maxStatus = max
  }

  get isRunning (): boolean {
    return this.running
  }

  /** Start probing; the first probe of each target comes within 10% of an interval. */
  start (): void {
    if (this.running) return
    this.running = true
    const targets = typeof this.options.targets === 'function' ? this.options.targets() : this.options.targets
    for (const target of targets) this.addTarget(target)
  }

  /**
   * Probe one more target (a pool's list changed); its first probe comes
   * within 10% of an interval. A target that is out and was never probed (a
   * new one, waiting for its first check) is probed at once, and one passing
   * probe puts it in.
   */
  addTarget (target: Target): void {
    if (!this.running) return
    const awaitingFirst = !target.healthy && target.lastCheckAt === 0
    const state: ProbeState = { target, timer: undefined, probe: undefined, okStreak: 0, failStreak: 0, okWhileEjected: 0, removed: false, awaitingFirst }
    this.states.push(state)
    this.schedule(state, awaitingFirst ? 0 : this.random() * HEALTH_CHECK_JITTER * this.options.health.intervalMs)
  }

  /** Stop probing a target that left the pool. */
  removeTarget (target: Target): void {
    const index = this.states.findIndex((s) => s.target === target)
    if (index === -1) return
    const state = this.states[index] as ProbeState
    state.removed = true
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = undefined
    state.probe?.destroy()
    state.probe = undefined
    this.states.splice(index, 1)
  }

  /** Stop probing: clear the timers and abort the probes in flight. */
  stop (): void {
    this.running = false
    for (const state of this.states) {
      if (state.timer !== undefined) clearTimeout(state.timer)
      state.timer = undefined
      state.probe?.destroy()
      state.probe = undefined
    }
    this.states.length = 0
  }

  /** Whether `status` is within `expectStatus`. */
  expects (status: number): boolean {
    return status >= this.minStatus && status <= this.maxStatus
  }

  private schedule (state: ProbeState, delayMs: number): void {
    if (!this.running || state.removed) return
    state.timer = setTimeout(() => {
      state.timer = undefined
      this.probe(state)
    }, delayMs)
    state.timer.unref()
  }

  private nextInterval (): number {
    return this.options.health.intervalMs * (1 - HEALTH_CHECK_JITTER * this.random())
  }

  private probe (state: ProbeState): void {
    const started = Date.now()
    const interval = this.nextInterval()
    const { health } = this.options
    let settled = false
    const settle = (failure: string | undefined): void => {
      if (settled) return
      settled = true
      clearTimeout(timeout)
      state.probe?.destroy()
      state.probe = undefined
      if (!this.running || state.removed) return
      this.record(state, failure, Date.now())
      this.schedule(state, Math.max(0, interval - (Date.now() - started)))
    }
    const timeout = setTimeout(() => { settle(`no answer within ${health.timeoutMs} ms`) }, health.timeoutMs)
    timeout.unref()
    if (health.type === 'tcp') {
      state.probe = this.connect(state.target, settle)
      return
    }
    const req = this.send(state.target, (res) => {
      res.resume()
      const status = res.statusCode ?? 0
      settle(this.expects(status) ? undefined : `status ${status}`)
    })
    state.probe = req
    req.on('error', (err: NodeJS.ErrnoException) => { settle(err.code ?? err.message) })
    req.end()
  }

  /** `type: tcp`: a connect that succeeds is a pass; the socket is closed at once (by `settle`). */
  private connect (target: Target, settle: (failure: string | undefined) => void): { destroy: () => void } {
    const url = target.url
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    const socket = connect({ host, port: this.options.health.port ?? Number(url.port) })
    socket.on('connect', () => { settle(undefined) })
    socket.on('error', (err: NodeJS.ErrnoException) => { settle(err.code ?? err.message) })
    return socket
  }

  private send (target: Target, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const url = target.url
    const https = url.protocol === 'https:'
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    // A target by host name is probed at its address, under its name (Host, and SNI over TLS).
    const serverName = new URL(`${url.protocol}//${target.hostHeader}`).hostname
    const options: RequestOptions & { ca?: Buffer, rejectUnauthorized?: boolean, servername?: string } = {
      hostname,
      port: this.options.health.port ?? (url.port !== '' ? Number(url.port) : (https ? 443 : 80)),
      path: this.options.health.path,
      method: 'GET',
      agent: false,
      headers: { host: target.hostHeader, 'user-agent': USER_AGENT, connection: 'close' }
    }
    if (https) {
      const tls = this.options.tls
      if (tls?.ca !== undefined) options.ca = tls.ca
      options.rejectUnauthorized = tls?.rejectUnauthorized ?? true
      if (isIP(serverName.replace(/^\[|\]$/g, '')) === 0) options.servername = serverName
      return httpsRequest(options, onResponse)
    }
    return httpRequest(options, onResponse)
  }

  private record (state: ProbeState, failure: string | undefined, now: number): void {
    const { target } = state
    const { health, outlier, onResult } = this.options
    const wasHealthy = target.healthy
    target.lastCheckAt = now
    target.lastCheckResult = failure ?? 'ok'
    const first = state.awaitingFirst
    state.awaitingFirst = false
    if (failure === undefined && first && !target.healthy) {
      target.healthy = true
      target.setReason('first health check passed')
      this.log.info({ pool: this.options.poolName, target: target.id }, 'new target healthy: in rotation')
    }
    if (failure === undefined) {
      state.failStreak = 0
      state.okStreak++
      if (!target.healthy && state.okStreak >= health.healthyThreshold) {
        target.healthy = true
        target.startRamp(now, this.options.slowStartMs ?? 0)
        target.setReason(`health check passed ${state.okStreak} times`)
        this.log.info({ pool: this.options.poolName, target: target.id, passes: state.okStreak }, 'target healthy: back in rotation')
      }
      if (outlier !== undefined && target.ejectedUntil > now) {
        if (++state.okWhileEjected >= health.healthyThreshold) {
          state.okWhileEjected = 0
          outlier.uneject(target, `health check passed ${health.healthyThreshold} times`, now)
        }
      } else {
        state.okWhileEjected = 0
      }
      onResult?.(target, { passed: true, okStreak: state.okStreak, changed: !wasHealthy && target.healthy })
      return
    }
    state.okStreak = 0
    state.okWhileEjected = 0
    state.failStreak++
    if (first && !target.healthy) target.setReason(`first health check failed: ${failure}`)
    if (target.healthy && state.failStreak >= health.unhealthyThreshold) {
      target.healthy = false
      target.setReason(`health check failed ${state.failStreak} times: ${failure}`)
      this.log.warn({ pool: this.options.poolName, target: target.id, failures: state.failStreak, why: failure }, 'target unhealthy: out of rotation')
    }
    onResult?.(target, { passed: false, okStreak: 0, changed: wasHealthy && !target.healthy })
  }
}

/** `"200-399"` → [200, 399]; `"200"` → [200, 200]. */
export function parseStatusRange (range: string): [number, number] {
  const [low, high = low] = range.split('-')
  const min = Number(low)
  const max = Number(high)
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) {
    throw new RangeError(`expectStatus must be a status or a range such as "200-399", got "${range}"`)
  }
  return [min, max]
}
