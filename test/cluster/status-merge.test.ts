/**
 * Merging the workers' /status documents: counters summed, health from the
 * primary, ejection/draining when any worker has it, latency weighted by
 * requests, sticky counters summed, targets matched by id.
 */
import t from 'tap'
import { mergeStatus } from '../../cluster/status-merge.js'
import type { PoolStatus, TargetStatus } from '../../plugins/admin/status.js'
import type { SharedHealthState } from '../../plugins/health/shared-state.js'

const BASE_TARGET: Omit<TargetStatus, 'id' | 'url'> = {
  host: '127.0.0.1:1',
  hostName: null,
  ejections: 0,
  responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
  lastCheckAt: null,
  lastCheckResult: null,
  weight: 1,
  condition: 'healthy',
  reason: 'initial',
  since: '2026-01-01T00:00:00.000Z',
  healthy: true,
  ejectedUntil: null,
  draining: false,
  consecutiveFailures: 0,
  inFlight: 0,
  requests: 0,
  failures: 0,
  latencyEwmaMs: 0
}
const target = (id: string, fields: Partial<TargetStatus> = {}): TargetStatus => ({ ...BASE_TARGET, id, url: `http://127.0.0.1:${id}`, ...fields })
const pool = (targets: TargetStatus[], sticky?: PoolStatus['sticky']): PoolStatus => ({ name: 'api', balancer: 'round-robin', targets, ...(sticky !== undefined ? { sticky } : {}) })
const workers = [{ id: 1, pid: 11, answered: true }, { id: 2, pid: 12, answered: true }]

t.test('counters are summed per target, matched by id', async (t) => {
  const merged = mergeStatus([
    { pools: [pool([target('a', { requests: 10, inFlight: 2, failures: 1, latencyEwmaMs: 10 }), target('b', { requests: 1 })], { cookie: 'sy', hits: 3, pins: 1, repins: 0, rejected: 1 })] },
    { pools: [pool([target('b', { requests: 4 }), target('a', { requests: 30, inFlight: 1, failures: 0, latencyEwmaMs: 20, consecutiveFailures: 3 })], { cookie: 'sy', hits: 5, pins: 2, repins: 1, rejected: 0 })] }
  ], new Map(), workers)
  t.same(merged.workers, workers)
  const [a, b] = merged.pools[0]?.targets ?? []
  t.match(a, { id: 'a', requests: 40, inFlight: 3, failures: 1, consecutiveFailures: 3, latencyEwmaMs: 17.5 }, 'sums; worst streak; latency weighted by requests (10×10+30×20)/40')
  t.match(b, { id: 'b', requests: 5 })
  t.same(merged.pools[0]?.sticky, { cookie: 'sy', hits: 8, pins: 3, repins: 1, rejected: 1 }, 'sticky counters summed')
})

t.test('health is the primary\'s; ejection and draining when any worker has them', async (t) => {
  const down: SharedHealthState = { pool: 'api', targetId: 'a', healthy: false, reason: 'health check failed 2 times: status 500', since: 5, rampUntil: 0, rampMs: 0 }
  const health = new Map([['api', new Map([['a', down]])]])
  const merged = mergeStatus([
    { pools: [pool([target('a'), target('b', { ejectedUntil: '2030-01-01T00:00:00.000Z', reason: 'ejected', since: '2026-01-02T00:00:00.000Z' }), target('c')])] },
    { pools: [pool([target('a'), target('b'), target('c', { draining: true })])] }
  ], health, workers)
  const [a, b, c] = merged.pools[0]?.targets ?? []
  t.match(a, { healthy: false, condition: 'unhealthy' }, 'the primary says a is down, whatever the workers\' copies say')
  t.match(b, { condition: 'ejected', ejectedUntil: '2030-01-01T00:00:00.000Z', reason: 'ejected' }, 'ejected in one worker; the latest reason')
  t.match(c, { condition: 'draining', draining: true })
})

t.test('no reports: no pools', async (t) => {
  t.same(mergeStatus([], new Map(), []), { workers: [], pools: [] })
})
