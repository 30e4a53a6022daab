/** The logger shape the L4 listeners use (pino's), and one that drops everything. */
export interface L4Logger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

export const silentL4Logger: L4Logger = { info () {}, warn () {} }
