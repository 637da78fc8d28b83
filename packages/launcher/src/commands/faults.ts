import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { parseArgs } from 'node:util'
import { ConfigError } from '@stagepass/kit'
import { loadLauncherConfig } from '../environment.js'
import { FAULT_NAMES } from '../faults/faults.js'
import { renderFaultTable } from '../faults/report.js'
import { runFaults } from '../faults/run.js'
import { k6Binary } from '../k6.js'
import { fromRoot } from '../paths.js'
import { preflight } from '../preflight.js'

/**
 * `stagepass faults [--vus 150] [--seconds 15] [--only kill-booking,…] [--verbose]`: a sale under k6
 * while each fault is injected in turn (docs/reliability.md); prints a table and writes it, with the
 * numbers as JSON, to fault-results/.
 */
export async function faults(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      vus: { type: 'string', default: '150' },
      seconds: { type: 'string', default: '15' },
      only: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  })
  const vus = Number(values.vus)
  const secondsPerFault = Number(values.seconds)
  if (!Number.isInteger(vus) || vus < 1 || vus > 5000)
    throw new ConfigError(`--vus must be 1 to 5000, got ${values.vus}`)
  if (!Number.isInteger(secondsPerFault) || secondsPerFault < 5) {
    throw new ConfigError(`--seconds must be an integer of at least 5, got ${values.seconds}`)
  }
  const only = values.only?.split(',').filter(Boolean)
  const unknown = only?.filter((name) => !FAULT_NAMES.includes(name)) ?? []
  if (unknown.length) throw new ConfigError(`unknown faults ${unknown.join(', ')}; known: ${FAULT_NAMES.join(', ')}`)
  k6Binary()
  await preflight(loadLauncherConfig())
  const log = (line: string) => process.stdout.write(`faults    | ${line}\n`)
  const output = new PassThrough()
  if (values.verbose) output.pipe(process.stdout)
  else output.resume()
  // Ctrl-C stops the run between two steps, and with it the system, its Redis and its database.
  const abort = new AbortController()
  const stop = () => {
    log('stopping…')
    abort.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const run = await runFaults({
    signal: abort.signal,
    vus,
    secondsPerFault,
    only,
    database: `sp_faults_${randomBytes(3).toString('hex')}`,
    // About one purchase per user every second or two: seats for the whole run, never sold out.
    seats: Math.min(30_000, vus * (only?.length ?? FAULT_NAMES.length) * (secondsPerFault + 30)),
    output,
    log,
  })
  const table = renderFaultTable(run)
  process.stdout.write(`\n${table}\n`)
  mkdirSync(fromRoot('fault-results'), { recursive: true })
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19)
  writeFileSync(
    fromRoot('fault-results', `faults-${stamp}.json`),
    JSON.stringify({ vus, secondsPerFault, ...run }, null, 2),
  )
  writeFileSync(fromRoot('fault-results', `faults-${stamp}.md`), `${table}\n`)
  log(`results written to fault-results/faults-${stamp}.{md,json}`)
  const broken = run.finalBroken.length + run.results.reduce((n, r) => n + r.broken.length, 0)
  return broken > 0 ? 1 : 0
}
