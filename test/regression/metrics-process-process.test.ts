/**
 * Regression (issue 10, item 17): `/metrics` names read
 * `switchyard_process_process_cpu_…` (prefix + prom-client's own `process_`).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('process and Node.js metrics are switchyard_process_… and switchyard_nodejs_…', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const text = await (await fetch(`${adminAddress(gw.app)}/metrics`)).text()
  t.notMatch(text, /switchyard_process_process_/, 'no doubled prefix')
  t.match(text, /^switchyard_process_cpu_seconds_total \d/m, 'process CPU')
  t.match(text, /^switchyard_process_resident_memory_bytes \d/m, 'process RSS')
  t.match(text, /^switchyard_nodejs_eventloop_lag_seconds /m, 'event loop lag')
  t.match(text, /^# TYPE switchyard_target_requests_total counter/m, 'the gateway\'s own metrics unchanged')
})
