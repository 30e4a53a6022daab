/**
 * The gateway's own certificate and key: read from PEM files, checked as a
 * pair (so a bad file stops the start, or a reload, with a clear message).
 * Framework-free.
 */
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { ConfigError } from '../../lib/validate.js'

export interface CertificateFiles {
  /** PEM file of the certificate (and its chain). */
  certPath: string
  /** PEM file of the private key. */
  keyPath: string
}

export interface CertificatePair {
  cert: Buffer
  key: Buffer
}

/** Field names used in error messages (the env vars of the bundled app by default). */
export interface CertificateFields {
  cert: string
  key: string
}

const ENV_FIELDS: CertificateFields = { cert: 'GATEWAY_TLS_CERT', key: 'GATEWAY_TLS_KEY' }

/** Read and check a certificate/key pair. Throws ConfigError naming the file's field. */
export function readCertificatePair (files: CertificateFiles, fields: CertificateFields = ENV_FIELDS): CertificatePair {
  const cert = readPem(files.certPath, fields.cert)
  const key = readPem(files.keyPath, fields.key)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new ConfigError(fields.cert, `and ${fields.key} are not a matching PEM certificate and key: ${(err as Error).message}`)
  }
  return { cert, key }
}

function readPem (path: string, field: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(field, `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}
