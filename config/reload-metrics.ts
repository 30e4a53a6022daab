/**
 * The whole-config reload's counter in /metrics: `switchyard_config_reloads_total`,
 * read from the reloader (`config/reload.ts`) at scrape time. Its own module so
 * that prom-client loads with the metrics registry (first scrape), not at start.
 */
import { Counter, type Registry } from 'prom-client'
import type { ConfigReloader } from './reload.js'

/** `switchyard_config_reloads_total{result="applied"|"refused"}` in `registry`, read from `reloader` at scrape time. */
export function countReloads (registry: Registry, reloader: ConfigReloader): void {
  const counter: Counter<'result'> = new Counter({
    name: 'switchyard_config_reloads_total',
    help: 'Whole-config reloads, applied and refused (invalid config)',
    labelNames: ['result'],
    registers: [registry],
    collect () {
      counter.reset()
      counter.inc({ result: 'applied' }, reloader.reloads)
      counter.inc({ result: 'refused' }, reloader.failedReloads)
    }
  })
}
