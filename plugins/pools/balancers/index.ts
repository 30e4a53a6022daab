/**
 * The load-balancing algorithms behind one interface, and a factory that
 * makes one by its configured name.
 */
import type { Target } from '../target.js'
import type { Balancer, BalancerName } from './balancer.js'
import { ConsistentHashBalancer } from './consistent-hash.js'
import { LeastConnectionsBalancer } from './least-connections.js'
import { PeakEwmaBalancer } from './peak-ewma.js'
import { PowerOfTwoBalancer } from './power-of-two.js'
import { RandomBalancer } from './random.js'
import { RoundRobinBalancer } from './round-robin.js'
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js'

export { BALANCER_NAMES, isSelectable } from './balancer.js'
export type { Balancer, BalancerName, PickContext } from './balancer.js'
export { ConsistentHashBalancer } from './consistent-hash.js'
export { LeastConnectionsBalancer } from './least-connections.js'
export { PeakEwmaBalancer } from './peak-ewma.js'
export { PowerOfTwoBalancer } from './power-of-two.js'
export { RandomBalancer } from './random.js'
export { RoundRobinBalancer } from './round-robin.js'
export { WeightedRoundRobinBalancer } from './weighted-round-robin.js'

/**
 * A new balancer of the named algorithm, prepared for `targets`.
 *
 * @param random source of numbers in [0, 1) for the randomised algorithms;
 *   injectable for tests.
 */
export function createBalancer (
  name: BalancerName,
  targets: readonly Target[],
  random: () => number = Math.random
): Balancer {
  const balancer = newBalancer(name, random)
  balancer.rebuild?.(targets)
  return balancer
}

function newBalancer (name: BalancerName, random: () => number): Balancer {
  switch (name) {
    case 'round-robin': return new RoundRobinBalancer()
    case 'weighted-round-robin': return new WeightedRoundRobinBalancer()
    case 'least-connections': return new LeastConnectionsBalancer()
    case 'power-of-two': return new PowerOfTwoBalancer(random)
    case 'random': return new RandomBalancer(random)
    case 'consistent-hash': return new ConsistentHashBalancer()
    case 'peak-ewma': return new PeakEwmaBalancer(random)
    default: {
      const unknown: never = name
      throw new Error(`unknown balancer "${String(unknown)}"`)
    }
  }
}
