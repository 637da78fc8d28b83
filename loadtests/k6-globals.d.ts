// k6 provides a console (log, info, warn, error, debug) that @types/k6 does not declare.
declare var console: {
  log(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
}
