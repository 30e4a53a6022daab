/**
 * A raw HTTP/1.1 client for tests that need to see exactly what went over the
 * wire (header names and order, malformed requests).
 */
import { connect } from 'node:net'

/** Send `raw` to host:port, return everything received until the peer closes or `timeoutMs`. */
export async function rawRequest (port: number, raw: string | Buffer, timeoutMs = 2000): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')) }, timeoutMs)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')) })
    socket.write(raw)
  })
}
