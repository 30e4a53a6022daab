/**
 * Certificate reload without dropping connections: read the files again,
 * check the pair, and swap the server's secure context. Connections already
 * open keep the context they were made with; new handshakes get the new one.
 * A bad pair is refused and the current one stays. Framework-free.
 */
import { readCertificatePair, type CertificateFiles, type CertificateFields } from './certificates.js'

/** The part of a TLS server (`https`, `http2` secure, `tls`) that we need. */
export interface SecureContextHolder {
  setSecureContext: (options: { cert: Buffer, key: Buffer }) => void
}

export interface ReloadResult {
  ok: boolean
  /** Why the reload was refused (file unreadable, pair not matching). */
  error?: Error
}

export class CertificateReloader {
  private readonly server: SecureContextHolder
  private readonly files: CertificateFiles
  private readonly fields: CertificateFields | undefined

  constructor (server: SecureContextHolder, files: CertificateFiles, fields?: CertificateFields) {
    this.server = server
    this.files = files
    this.fields = fields
  }

  reload (): ReloadResult {
    try {
      const pair = readCertificatePair(this.files, this.fields)
      this.server.setSecureContext(pair)
      return { ok: true }
    } catch (err) {
      return { ok: false, error: err as Error }
    }
  }
}
