/**
 * SIGHUP re-reads GATEWAY_TLS_CERT/GATEWAY_TLS_KEY in the running app (a real
 * child process): new connections get the new certificate, a connection
 * opened before keeps working, and a bad pair is refused (old one stays,
 * process keeps running).
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { copyFileSync, writeFileSync } from 'node:fs'
import { connect, type ClientHttp2Session } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { startBackend } from '../helpers/backend.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'

const APP = fileURLToPath(new URL('../../app.ts', import.meta.url))

async function open (port: number, ca: Buffer[]): Promise<ClientHttp2Session> {
  const session = connect(`https://localhost:${port}`, { ca })
  await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject) })
  return session
}

function peerFingerprint (session: ClientHttp2Session): string {
  return (session.socket as TLSSocket).getPeerCertificate().fingerprint256
}

t.test('SIGHUP reloads the certificate without dropping connections', async (t) => {
  const first = makeCertificate('first')
  const second = makeCertificate('second')
  const live = makeCertificate('live') // the files the gateway reads
  copyFileSync(first.certPath, live.certPath)
  copyFileSync(first.keyPath, live.keyPath)
  t.teardown(() => { first.remove(); second.remove(); live.remove() })
  const backend = await startBackend('b1')
  t.teardown(backend.stop)

  const child = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      GATEWAY_ADMIN_PORT: '0',
      GATEWAY_UPSTREAMS: backend.url,
      GATEWAY_TLS_CERT: live.certPath,
      GATEWAY_TLS_KEY: live.keyPath,
      LOG_LEVEL: 'info'
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => { output += chunk })
  const waitFor = async (pattern: RegExp, from: number): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      const match = output.slice(from).match(pattern)
      if (match !== null) return match
      if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}): ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`timed out waiting for ${String(pattern)}: ${output}`)
  }
  const listening = await waitFor(/Server listening at https:\/\/127\.0\.0\.1:(\d+)/, 0)
  const port = Number(listening[1])
  const trusted = [first.cert, second.cert]

  const before = await open(port, trusted)
  t.teardown(() => before.close())
  t.equal(peerFingerprint(before), first.fingerprint256, 'serves the first certificate')
  t.equal((await h2Request(before, { ':path': '/before' })).status, 200)

  copyFileSync(second.certPath, live.certPath)
  copyFileSync(second.keyPath, live.keyPath)
  let mark = output.length
  child.kill('SIGHUP')
  await waitFor(/TLS certificate reloaded/, mark)

  const after = await open(port, trusted)
  t.teardown(() => after.close())
  t.equal(peerFingerprint(after), second.fingerprint256, 'a new connection gets the new certificate')
  t.equal((await h2Request(after, { ':path': '/after' })).status, 200)
  const old = await h2Request(before, { ':path': '/still' })
  t.equal(old.status, 200, 'the connection opened before the reload still serves')
  t.equal(peerFingerprint(before), first.fingerprint256, 'on its original certificate')
  t.equal(JSON.parse(old.body.toString()).url, '/still')

  writeFileSync(live.certPath, 'not a certificate')
  mark = output.length
  child.kill('SIGHUP')
  await waitFor(/TLS certificate reload refused/, mark)
  const afterBad = await open(port, trusted)
  t.teardown(() => afterBad.close())
  t.equal(peerFingerprint(afterBad), second.fingerprint256, 'a bad pair is refused; the current certificate stays')
  t.equal(child.exitCode, null, 'the gateway is still running')

  for (const session of [before, after, afterBad]) session.close()
  child.kill('SIGTERM')
  await new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.pass('SIGTERM still stops it')
})
