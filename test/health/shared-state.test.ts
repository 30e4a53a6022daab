/**
 * Applying an active-check result made by another process (cluster mode):
 * a state is taken over as is (healthy, reason, since, a later ramp); a run
 * of passes ends an outlier ejection early, as local checks do.
 */
import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import { OutlierDetector } from '../../plugins/health/outlier-detector.js'
import { applyHealthUpdate, describeHealthState } from '../../plugins/health/shared-state.js'

t.test('a shared state is taken over', async (t) => {
  const primaryCopy = new Target({ url: 'http://127.0.0.1:3001' })
  primaryCopy.healthy = false
  primaryCopy.setReason('health check failed 2 times: ECONNREFUSED')
  primaryCopy.startRamp(Date.now(), 5000)
  const state = describeHealthState('api', primaryCopy)
  t.match(state, { pool: 'api', targetId: primaryCopy.id, healthy: false, reason: /ECONNREFUSED/ })
  const workerCopy = new Target({ url: 'http://127.0.0.1:3001' })
  applyHealthUpdate(workerCopy, { kind: 'state', state }, undefined, Date.now())
  t.equal(workerCopy.healthy, false)
  t.equal(workerCopy.reason, primaryCopy.reason)
  t.equal(workerCopy.since, primaryCopy.since)
  t.equal(workerCopy.rampUntil, primaryCopy.rampUntil, 'the ramp is taken over')
  t.equal(workerCopy.isAvailable(Date.now()), false)
})

t.test('passes end an outlier ejection early', async (t) => {
  const target = new Target({ url: 'http://127.0.0.1:3001' })
  const pool = { name: 'api', targets: [target], config: { slowStartMs: 0 } }
  const outlier = new OutlierDetector(pool, { consecutiveFailures: 1, ejectionMs: 60_000, maxEjectionMs: 300_000, maxEjectionPercent: 100, on5xx: false })
  t.teardown(() => { outlier.close() })
  const now = Date.now()
  target.consecutiveFailures = 1
  outlier.onFailure(target, 'ECONNRESET', now)
  t.ok(target.ejectedUntil > now, 'ejected')
  applyHealthUpdate(target, { kind: 'passes', pool: 'api', targetId: target.id }, outlier, now + 1)
  t.equal(target.ejectedUntil, 0, 'back in rotation')
  t.match(target.reason, /health check passed/)
  applyHealthUpdate(target, { kind: 'passes', pool: 'api', targetId: target.id }, undefined, now + 2)
  t.equal(target.ejectedUntil, 0, 'passes without an ejection change nothing')
})
