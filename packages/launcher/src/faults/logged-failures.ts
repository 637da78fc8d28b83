import { Writable } from 'node:stream'

/**
 * A failure a process logged while answering: the gateway's `upstream request failed` (which context,
 * which error: `gateway → booking ECONNRESET`) or a context's `request failed` with its causes
 * (`booking: point service is unavailable: other side closed`).
 */
export interface LoggedFailure {
  at: number
  what: string
}

const UPSTREAM = '"msg":"upstream request failed"'
const REQUEST = '"msg":"request failed"'

interface Entry {
  time?: number
  service?: string
  err?: { code?: string; type?: string; message?: string }
}

/**
 * What a process's log line says failed, or undefined for any other line. The line is a process's
 * output as the launcher prefixes it (`gateway-1 | {"level":40,…}`).
 */
export function loggedFailureOf(line: string): LoggedFailure | undefined {
  const upstream = line.includes(UPSTREAM)
  if (!upstream && !line.includes(REQUEST)) return undefined
  const start = line.indexOf('{')
  if (start < 0) return undefined
  let entry: Entry
  try {
    entry = JSON.parse(line.slice(start)) as Entry
  } catch {
    return undefined
  }
  const at = entry.time ?? Date.now()
  // The message with its causes, addresses left out.
  const message = (entry.err?.message ?? 'unknown error').replace(/\S*\d+\.\d+\.\d+\.\d+:\d+/g, '…')
  if (upstream) {
    const code = entry.err?.code ?? entry.err?.type ?? 'error'
    return { at, what: `gateway → ${entry.service ?? '?'} ${code}: ${message}` }
  }
  // The process's name without its instance number.
  const process = line.slice(0, start).split('|')[0]?.trim().replace(/-\d+$/, '') || '?'
  return { at, what: `${process}: ${message}` }
}

/**
 * Passes everything written to it on to `output`, keeping each failure a process logged, so a fault's
 * 5xx can be told apart by what was met behind the edge (a refused connection, a reset, a timeout).
 */
export function watchLoggedFailures(output: Writable): { output: Writable; failures: LoggedFailure[] } {
  const failures: LoggedFailure[] = []
  const watched = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = chunk.toString()
      if (text.includes(UPSTREAM) || text.includes(REQUEST)) {
        for (const line of text.split('\n')) {
          const failure = loggedFailureOf(line)
          if (failure) failures.push(failure)
        }
      }
      output.write(chunk)
      done()
    },
  })
  return { output: watched, failures }
}
