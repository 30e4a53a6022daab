/** The part of a pino logger the health modules use (framework-free). */
export interface HealthLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

/** A logger that drops everything (for unit tests and plugin users who pass none). */
export const silentLogger: HealthLogger = { info () {}, warn () {} }
