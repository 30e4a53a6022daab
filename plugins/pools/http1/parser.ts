/**
 * Node's own HTTP/1.1 parser (llhttp, native), the one `node:http` parses
 * with, reached through the `_http_common` built-in: undici parses with
 * llhttp compiled to WebAssembly and calls back into JS for every header
 * name and value, which costs the forwarding hot path more than the rest of
 * its client together (see `connection.ts`). Loaded once; `undefined` when a
 * Node version no longer exposes it (the transport then uses undici alone).
 */
import { createRequire } from 'node:module'

/** The native parser object's methods and callback slots (lib/_http_common.js, src/node_http_parser.cc). */
export interface NativeHttpParser {
  initialize (type: number, resource: object, maxHeaderSize: number, lenient: number): void
  /** Parse `data`; bytes parsed, or the parse error. */
  execute (data: Buffer): number | Error
  /** The connection ended: completes a body delimited by the close, or the parse error. */
  finish (): number | Error | undefined
  /** Read straight from a stream handle (no JS `data` events); results go to `kOnExecute`. */
  consume (handle: unknown): void
  unconsume (): void
  close (): void
  [callback: number]: unknown
}

export interface NativeHttpParserClass {
  new (): NativeHttpParser
  readonly RESPONSE: number
  readonly kOnMessageBegin: number
  readonly kOnHeaders: number
  readonly kOnHeadersComplete: number
  readonly kOnBody: number
  readonly kOnMessageComplete: number
  readonly kOnExecute: number
}

function loadParser (): NativeHttpParserClass | undefined {
  try {
    const common = createRequire(import.meta.url)('_http_common') as { HTTPParser?: NativeHttpParserClass }
    const HTTPParser = common.HTTPParser
    if (typeof HTTPParser !== 'function' || typeof HTTPParser.prototype.consume !== 'function') return undefined
    return HTTPParser
  } catch {
    return undefined
  }
}

export const HTTPParser: NativeHttpParserClass | undefined = loadParser()
