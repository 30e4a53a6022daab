import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import { BALANCER_NAMES, createBalancer, type PickContext } from '../../plugins/pools/balancers/index.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function context (extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, hashKey: () => 'some-key', ...extra }
}

for (const name of BALANCER_NAMES) {
  t.test(`createBalancer('${name}')`, async (t) => {
    const targets = makeTargets([1, 2, 1])
    const balancer = createBalancer(name, targets)
    t.equal(balancer.name, name)
    t.ok(targets.includes(balancer.pick(targets, context())!), 'picks one of the targets')

    targets[0].inFlight = 1
    targets[1].inFlight = 1
    for (let i = 0; i < 20; i++) {
      t.equal(balancer.pick(targets, context({ maxInFlight: 1 })), targets[2], 'respects maxInFlight')
    }
    targets[2].healthy = false
    t.equal(balancer.pick(targets, context({ maxInFlight: 1 })), undefined, 'undefined when none is selectable')
  })
}

t.test('createBalancer rejects an unknown name', async (t) => {
  t.throws(() => createBalancer('fastest' as never, []), /unknown balancer "fastest"/)
})
