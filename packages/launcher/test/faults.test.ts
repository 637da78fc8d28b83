import { PassThrough } from 'node:stream'
import t from 'tap'
import { runFaults } from '../src/faults/run.js'
import { testDatabaseName, testRunId } from '../src/test-resources.js'

/**
 * The fault suite at a small scale, as `stagepass faults` runs it: one sale under the real k6 on the
 * real system (two instances of every context, two gateways, supervised by the launcher), each fault
 * injected in turn. What is judged: the books after each fault and after the sale, and that requests
 * are served again after each. How long requests failed is reported, not judged: it depends on how
 * busy the machine is.
 */
// Ten processes, k6 and six faults with their recoveries: minutes on a busy machine, not tap's usual four.
t.setTimeout(600_000)

t.test('a sale under load survives every fault with its books intact, and is served again after each', async (t) => {
  const lines: string[] = []
  const output = new PassThrough()
  output.on('data', (chunk: Buffer) => lines.push(chunk.toString()))
  const run = await runFaults({
    vus: 10,
    secondsPerFault: 5,
    database: testDatabaseName(testRunId()),
    seats: 5000,
    output,
    log: (line) => output.write(`faults    | ${line}\n`),
  })
  t.teardown(() => {
    if (!t.passing()) t.comment(lines.join('').split('\n').slice(-300).join('\n'))
  })
  t.ok((run.counters.payments_completed ?? 0) > 0, `buyers paid for seats (${run.counters.payments_completed})`)
  for (const r of run.results) {
    t.comment(
      `${r.fault}: ${r.failed} of ${r.requests} requests failed within ${r.failureWindowSeconds.toFixed(1)} s; ` +
        `recovered in ${r.recoverySeconds.toFixed(1)} s`,
    )
    t.same(
      r.broken,
      [],
      `${r.fault}: no seat sold twice, points conserved, every payment's events consumed once, nothing left unfinished`,
    )
    t.ok(r.servedAfter > 0, `${r.fault}: requests are served again afterwards (${r.servedAfter} in the last 3 s)`)
  }
  t.same(run.finalBroken, [], 'after the sale the books balance, in MySQL and through the API')
})
