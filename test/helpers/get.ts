/**
 * One HTTP/1.1 request with node:http, body as raw bytes (no decoding, unlike
 * fetch), for tests that check Content-Encoding byte for byte.
 */
import { request, type IncomingHttpHeaders } from 'node:http'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export async function getRaw (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end()
  })
}
