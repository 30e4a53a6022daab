/**
 * The pools' side of a whole-config reload, without a gateway: a changed
 * pool keeps the Target objects that stay (same id or URL) and its Agent
 * when connection options stay; a new algorithm gets a new balancer;
 * `plan` has no side effect and refuses a config it cannot build;
 * `apply` adds and reconfigures, `retire` closes the removed pools.
 */
import t from 'tap'
import { PoolRegistry } from '../../plugins/pools/index.js'
import { validateWithSchema } from '../../lib/validate.js'
import { PoolsConfigSchema, type PoolConfigInput } from '../../plugins/pools/options.js'

const configs = (pools: Record<string, PoolConfigInput>): ReturnType<typeof validateWithSchema<typeof PoolsConfigSchema>> =>
  validateWithSchema(PoolsConfigSchema, structuredClone(pools), 'pools')

t.test('a changed pool keeps its targets, balancer and Agent when it can', async (t) => {
  const registry = new PoolRegistry(configs({ p: { targets: ['http://127.0.0.1:20001', { url: 'http://127.0.0.1:20002', id: 'two' }] } }))
  t.teardown(async () => { await registry.close() })
  const pool = registry.get('p')
  if (pool === undefined) throw new Error('no pool')
  const [one, two] = pool.targets
  if (one === undefined || two === undefined) throw new Error('no targets')
  one.requests = 7
  two.healthy = false
  const agent = pool.dispatcher.agent
  const balancer = pool.balancer

  const change = await registry.apply(registry.plan(configs({
    p: { targets: [{ url: 'http://127.0.0.1:20001', weight: 3 }, { url: 'http://127.0.0.1:20002', id: 'two' }, 'http://127.0.0.1:20003'], retries: 1 }
  })))
  t.same(change.changed.map((c) => c.pool.name), ['p'])
  t.equal(pool.targets[0], one, 'same URL: same Target object')
  t.equal(one.requests, 7, 'with its counters')
  t.equal(one.weight, 3, 'and its new weight, set in place')
  t.equal(pool.targets[1], two, 'same id: same Target object')
  t.equal(two.healthy, false, 'still unhealthy')
  t.equal(pool.targets.length, 3, 'the new target is added')
  t.equal(pool.config.retries, 1, 'the new options apply')
  t.equal(pool.dispatcher.agent, agent, 'connection options unchanged: the same Agent')
  t.equal(pool.balancer, balancer, 'same algorithm: the same balancer')

  await registry.apply(registry.plan(configs({ p: { targets: ['http://127.0.0.1:20001'], responseTimeoutMs: 5000, balancer: 'least-connections' } })))
  t.not(pool.dispatcher.agent, agent, 'a new response timeout: a new Agent behind the same dispatcher')
  t.equal(pool.balancer.name, 'least-connections', 'a new algorithm: a new balancer')
  t.ok(two.draining, 'the removed target drains')
})

t.test('plan builds without side effects and refuses what it cannot build; removed pools are retired', async (t) => {
  const registry = new PoolRegistry(configs({ keep: { targets: ['http://127.0.0.1:20001'] }, gone: { targets: ['http://127.0.0.1:20002'] } }))
  t.teardown(async () => { await registry.close() })
  t.throws(() => registry.plan(configs({ keep: { targets: ['http://127.0.0.1:20001'] }, bad: { targets: ['http://127.0.0.1:20003'], tls: { ca: '/nonexistent/ca.pem', rejectUnauthorized: true } } })),
    { name: 'ConfigError', field: 'pools.bad.tls.ca' })
  t.same(registry.names(), ['keep', 'gone'], 'a refused plan changed nothing')

  const plan = registry.plan(configs({ keep: { targets: ['http://127.0.0.1:20001'] }, fresh: { targets: ['http://127.0.0.1:20004'] } }))
  t.same(registry.names(), ['keep', 'gone'], 'planning changed nothing')
  t.same([plan.added.map((p) => p.name), plan.changed.map((c) => c.pool.name), plan.removed.map((p) => p.name)], [['fresh'], [], ['gone']], 'an equal pool is not "changed"')
  const gone = registry.get('gone')
  await registry.apply(plan)
  t.same(registry.names(), ['keep', 'fresh'])
  t.notOk(gone?.isClosed, 'a removed pool still serves whoever holds it until it is retired')
  registry.retire(plan, 10)
  const deadline = Date.now() + 2000
  while (gone?.isClosed !== true && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  t.ok(gone?.isClosed, 'retired: the removed pool takes no new work')
  t.ok(gone?.targets.every((target) => target.draining), 'its targets drain')
})
