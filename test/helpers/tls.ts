/**
 * Real certificates for tests, made with the `openssl` CLI (Debian package
 * `openssl`): self-signed, for `localhost` and 127.0.0.1, EC P-256 (fast to make).
 * Also an HTTPS backend that serves with such a certificate.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'

export interface TestCertificate {
  dir: string
  certPath: string
  keyPath: string
  cert: Buffer
  key: Buffer
  /** SHA-256 fingerprint as `getPeerCertificate().fingerprint256` shows it. */
  fingerprint256: string
  remove: () => void
}

/** Make a self-signed certificate for `cn` (SAN: DNS:localhost, IP:127.0.0.1) in a fresh temp folder. */
export function makeCertificate (cn = 'localhost', dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'))): TestCertificate {
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyPath, '-out', certPath
  ], { stdio: 'ignore' })
  const cert = readFileSync(certPath)
  const key = readFileSync(keyPath)
  return {
    dir,
    certPath,
    keyPath,
    cert,
    key,
    fingerprint256: new X509Certificate(cert).fingerprint256,
    remove: () => { rmSync(dir, { recursive: true, force: true }) }
  }
}

export interface HttpsBackend {
  url: string
  server: Server
  hits: number
  stop: () => Promise<void>
}

/** An HTTPS echo backend on 127.0.0.1 serving with `certificate`. */
export async function startHttpsBackend (certificate: TestCertificate): Promise<HttpsBackend> {
  const backend = { hits: 0 } as HttpsBackend
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    backend.hits++
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ backend: 'tls', url: req.url }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  backend.server = server
  backend.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  backend.stop = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return backend
}
