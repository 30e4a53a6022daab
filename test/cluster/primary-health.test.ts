/**
 * The primary's health checks: one checker per pool over its own targets;
 * each change is broadcast once (down, then up with its reason), each run of
 * `healthyThreshold` passes is broadcast (to end workers' ejections early),
 * and `snapshot()` / `states()` give the whole current state.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { PoolRegistry } from '../../plugins/pools/index.js'
import { PoolsConfigSchema } from '../../plugins/pools/options.js'
import { validateWithSchema } from '../../lib/validate.js'
import { PrimaryHealthChecks } from '../../cluster/primary-health.js'
import type { SharedHealthUpdate } from '../../plugins/health/shared-state.js'
import { waitFor } from '../helpers/health.js'

t.test('changes and runs of passes are broadcast; snapshot has every checked target', async (t) => {
  let healthStatus = 200
  const backend = await startBackend('a', (req, res) => { req.resume(); res.statusCode = req.url === '/health' ? healthStatus : 200; res.end() })
  const pools = new PoolRegistry(validateWithSchema(PoolsConfigSchema, {
    checked: { targets: [backend.url], health: { path: '/health', intervalMs: 50, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 2 } },
    unchecked: { targets: [backend.url] }
  }, 'pools'))
  const updates: SharedHealthUpdate[] = []
  const checks = new PrimaryHealthChecks(pools, { info () {}, warn () {} }, (list) => { updates.push(...list) })
  t.teardown(async () => { checks.stop(); await pools.close(); await backend.stop() })
  t.equal(checks.checkedPools, 1, 'only the pool with health config is checked')
  const target = pools.get('checked')?.targets[0]
  const id = target?.id as string

  t.same(checks.snapshot(), [{ kind: 'state', state: { pool: 'checked', targetId: id, healthy: true, reason: 'initial', since: target?.since, rampUntil: 0, rampMs: 0 } }], 'snapshot: the checked target, as it starts')
  checks.start()
  t.ok(await waitFor(() => updates.filter((u) => u.kind === 'passes').length >= 2, 10_000) >= 0, 'passes are broadcast')
  t.same(updates.filter((u) => u.kind === 'passes').slice(0, 2), [{ kind: 'passes', pool: 'checked', targetId: id }, { kind: 'passes', pool: 'checked', targetId: id }])
  t.equal(updates.filter((u) => u.kind === 'state').length, 0, 'no state change while healthy')

  healthStatus = 500
  t.ok(await waitFor(() => updates.some((u) => u.kind === 'state'), 10_000) >= 0)
  const down = updates.filter((u) => u.kind === 'state')
  t.equal(down.length, 1, 'going down is broadcast once')
  t.match(down[0], { kind: 'state', state: { pool: 'checked', targetId: id, healthy: false, reason: /health check failed 2 times: status 500/ } })
  t.equal(checks.states().get('checked')?.get(id)?.healthy, false, 'states() has it down')

  healthStatus = 200
  t.ok(await waitFor(() => updates.filter((u) => u.kind === 'state').length >= 2, 10_000) >= 0)
  const up = updates.filter((u) => u.kind === 'state')[1]
  t.match(up, { kind: 'state', state: { healthy: true, reason: /health check passed 2 times/ } }, 'coming back is broadcast once, with its reason')
})
