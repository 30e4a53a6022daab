/**
 * Slow start: a target that returns takes a share of its picks that grows
 * from 10% to 100% over `slowStartMs` — whatever the balancer — and is still
 * picked when it is the only target left.
 */
import t from 'tap'
import type { FastifyRequest } from 'fastify'
import { Pool } from '../../plugins/pools/pool.js'
import { createBalancer, BALANCER_NAMES, type PickContext } from '../../plugins/pools/balancers/index.js'
import { Target } from '../../plugins/pools/target.js'

const PICKS = 4000

function shareOfRamping (balancer: ReturnType<typeof createBalancer>, targets: Target[], now: number): number {
  let picked = 0
  for (let i = 0; i < PICKS; i++) {
    const ctx: PickContext = { now, maxInFlight: 0, roll: Math.random(), hashKey: () => `key-${i}` }
    if (balancer.pick(targets, ctx) === targets[0]) picked++
  }
  return picked / PICKS
}

for (const name of BALANCER_NAMES) {
  t.test(`${name}: the returning target's share ramps up`, async (t) => {
    const targets = [1, 2, 3].map((i) => new Target({ url: `http://127.0.0.1:${20_000 + i}` }))
    const balancer = createBalancer(name, targets)
    const ramping = targets[0] as Target
    const full = shareOfRamping(balancer, targets, 0)
    ramping.startRamp(10_000, 1000)
    const atStart = shareOfRamping(balancer, targets, 10_000)
    const half = shareOfRamping(balancer, targets, 10_500)
    const after = shareOfRamping(balancer, targets, 11_000)
    t.ok(atStart < full * 0.35, `at the start: ${atStart.toFixed(3)} vs ${full.toFixed(3)} at full weight`)
    t.ok(half > atStart && half < full * 0.8, `half way: ${half.toFixed(3)}`)
    t.ok(Math.abs(after - full) < 0.08, `after slowStartMs: back to its full share ${after.toFixed(3)}`)
  })
}

t.test('a ramping target that is the only one available is still picked', async (t) => {
  const pool = new Pool('p', {
    targets: ['http://127.0.0.1:20001', 'http://127.0.0.1:20002'],
    hashKey: 'ip',
    retries: 2,
    connectTimeoutMs: 1000,
    responseTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    maxConnectionsPerTarget: 10,
    panic: false,
    slowStartMs: 60_000,
    dnsRefreshMs: 30_000
  })
  t.teardown(async () => { await pool.close() })
  const [a, b] = pool.targets as [Target, Target]
  b.healthy = false
  a.startRamp(Date.now(), 60_000)
  const request = {} as FastifyRequest
  let picked = 0
  for (let i = 0; i < 200; i++) if (pool.pickTarget(request) === a) picked++
  t.equal(picked, 200, 'every pick falls back to the ramping target rather than none')
})
