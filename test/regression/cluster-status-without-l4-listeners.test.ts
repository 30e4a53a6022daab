/**
 * Regression: with GATEWAY_WORKERS > 1 the primary's `/status` had no `l4`
 * section: a worker's report carried its pools only, and the merge knew
 * nothing else. Now a worker reports its L4 listeners and the merge sums
 * them by protocol and address (the workers share each listener's socket),
 * per listener and per target. Here one worker's gateway runs in this
 * process over an in-process channel (no cluster): a connection through its
 * tcp listener shows in its report, and two reports of it merge into one
 * listener with the counts doubled.
 */
import t from 'tap'
import { buildGateway } from '../../app.js'
import { loadConfig } from '../../config/index.js'
import { createWorkerSide } from '../../cluster/worker.js'
import { mergeStatus } from '../../cluster/status-merge.js'
import type { Channel, ToPrimary, ToWorker, WorkerReport } from '../../cluster/ipc.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { startTcpBackend, tcpExchange } from '../helpers/l4.js'

/** The worker's side of a channel whose primary answers `hello` with an empty health snapshot and keeps the rest. */
function fakePrimary (): { channel: Channel<ToPrimary, ToWorker>, sent: ToPrimary[], deliver: (message: ToWorker) => void } {
  const listeners = new Set<(message: ToWorker) => void>()
  const sent: ToPrimary[] = []
  const deliver = (message: ToWorker): void => { for (const listener of listeners) listener(message) }
  const channel: Channel<ToPrimary, ToWorker> = {
    send: (message) => {
      sent.push(message)
      if (message.type === 'switchyard:hello') setImmediate(() => { deliver({ type: 'switchyard:health', updates: [], snapshot: true }) })
    },
    onMessage: (listener) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
  return { channel, sent, deliver }
}

t.test('a worker reports its L4 listeners and the cluster /status merges them', async (t) => {
  const echo = await startTcpBackend('echo')
  t.teardown(async () => { await echo.stop() })
  const primary = fakePrimary()
  const config = loadConfig({
    GATEWAY_CONFIG: writeConfigFile({ pools: { db: { targets: [echo.url] } }, tcp: [{ port: 0, pool: 'db' }] }),
    GATEWAY_ADMIN_PORT: '0',
    HOST: '127.0.0.1'
  })
  const app = await buildGateway(config, { logger: false, worker: createWorkerSide(primary.channel) })
  t.teardown(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.switchyard.l4?.()[0]?.address ?? ''
  const port = Number(address.slice(address.lastIndexOf(':') + 1))
  t.equal((await tcpExchange(port, 'hello')).toString(), 'hello', 'proxied by the worker\'s tcp listener')

  primary.deliver({ type: 'switchyard:report-request', id: 7 })
  const deadline = Date.now() + 5_000
  let report: WorkerReport | undefined
  while (report === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const answer = primary.sent.find((message) => message.type === 'switchyard:report' && message.id === 7)
    if (answer?.type === 'switchyard:report') report = answer.report
  }
  t.ok(report !== undefined, 'the worker answered the report request')
  t.match(report?.l4, [{ protocol: 'tcp', address: `127.0.0.1:${port}`, pool: 'db', total: 1, bytesIn: 5, bytesOut: 5 }], 'its report has the listener')

  const workers = [{ id: 1, pid: 1, answered: true }, { id: 2, pid: 2, answered: true }]
  const merged = mergeStatus([report as WorkerReport, report as WorkerReport], new Map(), workers)
  t.equal(merged.l4?.length, 1, 'one listener: the same address in both workers')
  t.match(merged.l4?.[0], { address: `127.0.0.1:${port}`, active: 0, total: 2, bytesIn: 10, bytesOut: 10, connectFailures: 0, refused: 0, dropped: 0 }, 'counters summed')
  t.equal(merged.l4?.[0]?.targets.length, 1, 'one target entry, summed')
  t.match(merged.l4?.[0]?.targets[0], { pool: 'db', url: echo.url, total: 2, bytesIn: 10 })
  t.same(mergeStatus([{ pools: [] }], new Map(), workers).l4, undefined, 'no L4 listener anywhere: no l4 section')
})
