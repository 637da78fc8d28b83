import { createServer } from 'node:net'
import { PassThrough } from 'node:stream'
import { UpstreamUnavailableError } from '@stagepass/kit'
import Fastify from 'fastify'
import t from 'tap'
import { request } from 'undici'
import { loggedFailureOf, watchLoggedFailures } from '../src/faults/logged-failures.js'

/** A port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** When the test's log lines say they were written. */
const LOGGED_AT = Date.parse('2026-06-01T12:00:00Z')

/** A logger like the processes' (JSON, the process's name as the base `service`), its lines prefixed as the launcher does. */
function processLog(name: string, into: PassThrough) {
  const raw = new PassThrough()
  raw.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) into.write(`${name} | ${line}\n`)
  })
  return Fastify({
    logger: {
      level: 'warn',
      base: { service: name.replace(/-\d+$/, '') },
      stream: raw,
      // A time of its own, so the one read back is known to come from the line.
      timestamp: () => `,"time":${LOGGED_AT}`,
    },
  }).log
}

t.test(
  'what each process logged as failed is read off its lines: the gateway’s upstream, a context’s causes',
  async (t) => {
    const out = new PassThrough()
    const written: string[] = []
    out.on('data', (chunk: Buffer) => written.push(chunk.toString()))
    const watched = watchLoggedFailures(out)
    const port = await closedPort()
    const refused = await request(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (err: Error) => err,
    )
    t.ok(refused, 'the call to a closed port failed')

    // As split.ts and the kit's error handler log them.
    processLog('gateway-1', watched.output as PassThrough).warn(
      { err: refused, service: 'booking' },
      'upstream request failed',
    )
    const booking = processLog('booking-2', watched.output as PassThrough)
    booking.error({ err: Object.assign(new UpstreamUnavailableError('point'), { cause: refused }) }, 'request failed')
    booking.warn({ service: 'booking' }, 'something else')
    await new Promise((resolve) => setImmediate(resolve))

    t.same(
      watched.failures.map((e) => e.what),
      [
        'gateway → booking ECONNREFUSED: connect ECONNREFUSED …',
        'booking: point service is unavailable: connect ECONNREFUSED …',
      ],
      'the gateway met a refused connection to booking; booking found point unavailable, and why',
    )
    t.same(
      watched.failures.map((e) => e.at),
      [LOGGED_AT, LOGGED_AT],
      "each at its line's time",
    )
    t.match(written.join(''), /something else/, 'every line is passed on')
    t.equal(loggedFailureOf('k6        | time="…" level=info msg="request failed"'), undefined, 'not JSON: ignored')
  },
)
