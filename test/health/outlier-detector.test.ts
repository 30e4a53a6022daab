/**
 * OutlierDetector logic on plain targets: threshold, ejection length growing
 * with each ejection and capped, decay of the multiplier, the percent cap,
 * 5xx counted only with `on5xx`, early return by `uneject`.
 */
import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import { OutlierDetector, type OutlierConfig } from '../../plugins/health/outlier-detector.js'

function setup (count: number, config: Partial<OutlierConfig> = {}, slowStartMs = 0): { targets: Target[], detector: OutlierDetector } {
  const targets = Array.from({ length: count }, (_v, i) => new Target({ url: `http://127.0.0.1:${10_000 + i}` }))
  const detector = new OutlierDetector({ name: 'p', targets, config: { slowStartMs } }, {
    consecutiveFailures: 3, ejectionMs: 1000, maxEjectionMs: 2500, maxEjectionPercent: 100, on5xx: false, ...config
  })
  return { targets, detector }
}

function fail (detector: OutlierDetector, target: Target, now: number, times = 1): void {
  for (let i = 0; i < times; i++) {
    target.consecutiveFailures++
    detector.onFailure(target, 'ECONNREFUSED', now)
  }
}

t.test('ejects at the threshold; a success in between resets the streak', async (t) => {
  const { targets: [a], detector } = setup(2) as { targets: [Target], detector: OutlierDetector }
  t.teardown(() => { detector.close() })
  fail(detector, a, 0, 2)
  detector.onResponse(a, 200, 1)
  fail(detector, a, 2, 2)
  t.equal(a.ejectedUntil, 0, 'not ejected: never 3 in a row')
  fail(detector, a, 3)
  t.equal(a.ejectedUntil, 1003, 'ejected for ejectionMs at the 3rd failure in a row')
})

t.test('ejection time grows with each ejection, is capped, and decays with good behaviour', async (t) => {
  const { targets: [a], detector } = setup(2) as { targets: [Target], detector: OutlierDetector }
  t.teardown(() => { detector.close() })
  const eject = (now: number): number => { fail(detector, a, now, 3); return a.ejectedUntil - now }
  t.equal(eject(0), 1000)
  detector.uneject(a, 'test', 1000)
  t.equal(eject(1100), 2000, 'second ejection: 2 × ejectionMs')
  detector.uneject(a, 'test', 3100)
  t.equal(eject(3200), 2500, 'third: capped at maxEjectionMs')
  detector.uneject(a, 'test', 5700)
  t.equal(eject(5700 + 2500), 2000, 'after 2.5 s back in rotation two of three ejections are forgiven: this one counts as the 2nd')
})

t.test('5xx counts only with on5xx', async (t) => {
  const plain = setup(2)
  const strict = setup(2, { on5xx: true })
  t.teardown(() => { plain.detector.close(); strict.detector.close() })
  for (let i = 0; i < 3; i++) {
    plain.detector.onResponse(plain.targets[0] as Target, 503, i)
    strict.detector.onResponse(strict.targets[0] as Target, 503, i)
  }
  t.equal(plain.targets[0]?.ejectedUntil, 0, 'without on5xx a 503 is a response like any other')
  t.equal(strict.targets[0]?.ejectedUntil, 1002, 'with on5xx three 503s eject')
  t.match(strict.targets[0]?.reason, /last status 503/)
})

t.test('maxEjectionPercent caps ejections, at least one when above 0', async (t) => {
  const cases: Array<[number, number, number]> = [[4, 50, 2], [3, 50, 1], [3, 10, 1], [10, 30, 3], [2, 0, 0]]
  for (const [count, percent, expected] of cases) {
    const { targets, detector } = setup(count, { maxEjectionPercent: percent })
    for (const target of targets) fail(detector, target, 0, 3)
    t.equal(detector.ejectedCount(1), expected, `${count} targets at ${percent}% → ${expected} ejected`)
    detector.close()
  }
})

t.test('uneject returns the target early and starts its slow start', async (t) => {
  const { targets: [a], detector } = setup(2, {}, 10_000) as { targets: [Target], detector: OutlierDetector }
  t.teardown(() => { detector.close() })
  fail(detector, a, 0, 3)
  t.equal(a.isAvailable(500), false)
  detector.uneject(a, 'health check passed 2 times', 500)
  t.equal(a.isAvailable(500), true)
  t.equal(a.consecutiveFailures, 0)
  t.equal(a.rampUntil, 10_500, 'ramps up over slowStartMs from its return')
  t.match(a.reason, /returned: health check passed/)
})
