import { type Clock, systemClock } from './clock.js'

/** The one method of a pino or Fastify logger a throttled warning needs. */
export interface WarningLog {
  warn(fields: Record<string, unknown>, message: string): void
}

export type ThrottledWarning = (log: WarningLog, fields: Record<string, unknown>, message: string) => void

/**
 * One source's warnings, at most one line every `everyMs`: an outage that fails every request, tick
 * or reconnect says so once every few seconds instead of once each. The line after a quiet spell
 * carries `suppressed`, the number of warnings left out since the last one written.
 */
export function throttledWarning(everyMs = 5000, clock: Clock = systemClock): ThrottledWarning {
  let lastWritten = Number.NEGATIVE_INFINITY
  let suppressed = 0
  return (log, fields, message) => {
    const now = clock.now()
    if (now - lastWritten < everyMs) {
      suppressed++
      return
    }
    lastWritten = now
    log.warn(suppressed ? { ...fields, suppressed } : fields, message)
    suppressed = 0
  }
}
