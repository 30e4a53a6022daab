/**
 * A node:http2 client for tests: one request on a session, the whole answer.
 */
import type { ClientHttp2Session, IncomingHttpHeaders, IncomingHttpStatusHeader, OutgoingHttpHeaders } from 'node:http2'

export interface H2Response {
  status: number
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader
  body: Buffer
}

/** Send one request on `session` (`:method` GET and `:path` / unless given) and read the answer. */
export async function h2Request (session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer, timeoutMs = 5000): Promise<H2Response> {
  return await new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    const chunks: Buffer[] = []
    let responseHeaders: IncomingHttpHeaders & IncomingHttpStatusHeader = {}
    const timer = setTimeout(() => { stream.close(); reject(new Error('h2 request timed out')) }, timeoutMs)
    stream.on('response', (h) => { responseHeaders = h })
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('error', (err) => { clearTimeout(timer); reject(err) })
    stream.on('end', () => {
      clearTimeout(timer)
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks) })
    })
    if (body !== undefined) stream.end(body)
  })
}
