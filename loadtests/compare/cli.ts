#!/usr/bin/env node
/**
 * The monolith-vs-split comparison. `run` drives a k6 scenario against each target the way
 * `npm start` would start it; `bench` does the same measurement with the project's autocannon
 * benchmark where k6 is not installed; `report` renders recorded results. All three write the same
 * report: a Markdown table and an SVG chart.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { findK6, fromRoot, loadLauncherConfig } from '@stagepass/launcher'
import { measurementsFromBench, readBenchResults } from './bench-results.js'
import { benchWithCpu } from './bench-run.js'
import { CpuMeter } from './cpu.js'
import { compiledScenario, startK6 } from './k6.js'
import { measurementFromK6Summary } from './k6-summary.js'
import type { Measurement, ProcessCpu, Report } from './model.js'
import { writeReport } from './output.js'
import { comparisonTargets, startTarget } from './system.js'

const usage = `usage: node loadtests/dist/compare/cli.js <command>

  run <scenario> [--scale booking=3]… [--vus-scale n] [--time-scale n] [--env NAME=value]… [--out dir]
      k6 runs loadtests/scenarios/<scenario>.js against the monolith, the split system and each
      scaled split in turn (each started fresh by the launcher on its own database and Redis prefix);
      --env goes to the system's processes and to k6 alike (e.g. --env USER_AUTH=jwt)
  bench [--only suites] [--scenario pattern] [--baseline tree] [--duration s] [--runs n] [--connections n] [--out dir]
      where k6 is not installed: the project's autocannon benchmark (npm run bench), with the CPU
      of every process sampled during each measurement
  report (--k6 target=summary.json… --scenario name | --bench bench-results/bench-<stamp>.json | --json report.json) [--out dir]
      renders recorded results (k6 summaries, a bench JSON, or a report.json written before)

Every command writes <out>/report.md, report.svg and report.json (default out: bench-results/compare-<time>).
run exits 3 when a target crossed one of the scenario’s k6 thresholds (the report is still written).`

const log = (line: string) => process.stdout.write(`compare | ${line}\n`)
const stamp = () => new Date().toISOString().replaceAll(':', '-').slice(0, 19)

function machine(): string {
  const cores = cpus()
  return `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`
}

/** Writes the report; a measuring command exits 3 when a run crossed a k6 threshold. */
function finish(report: Report, out: string | undefined, { measured = false } = {}): number {
  const dir = resolve(out ?? fromRoot('bench-results', `compare-${stamp()}`))
  const files = writeReport(report, dir)
  log(`report written: ${files.markdown} (chart ${files.svg})`)
  return measured && report.measurements.some((m) => m.thresholdsCrossed.length > 0) ? 3 : 0
}

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      scale: { type: 'string', multiple: true, default: [] },
      'vus-scale': { type: 'string', default: '1' },
      'time-scale': { type: 'string', default: '1' },
      env: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
    },
  })
  const scenario = positionals[0]
  if (!scenario) throw new UsageError('run: name a scenario (a file in loadtests/scenarios without .js)')
  if (!existsSync(fromRoot('loadtests', 'scenarios', `${scenario}.js`))) {
    throw new UsageError(`run: no scenario loadtests/scenarios/${scenario}.js`)
  }
  const script = compiledScenario(scenario)
  const k6 = findK6()
  if (!k6) {
    throw new UsageError(
      'k6 is not installed (not on the PATH, K6_BIN unset). Install k6, or measure with the autocannon benchmark: node loadtests/dist/compare/cli.js bench',
    )
  }
  const env = Object.fromEntries(values.env.map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]))
  const config = loadLauncherConfig()
  const id = randomBytes(3).toString('hex')
  const out = resolve(values.out ?? fromRoot('bench-results', `compare-${stamp()}`))
  mkdirSync(out, { recursive: true })
  const measurements: Measurement[] = []
  for (const target of comparisonTargets(values.scale)) {
    log(`${target.name}: starting`)
    const system = await startTarget(target, config, { id, env, log })
    let cpu: ProcessCpu[] = []
    const summaryPath = join(out, `${scenario}-${target.name.replace(/[^a-z0-9]+/gi, '-')}.json`)
    try {
      log(`${target.name}: k6 run ${scenario} against ${system.baseUrl}`)
      // --env reaches k6 too: USER_AUTH=jwt and the USER_TOKEN_* settings must match on both sides.
      const run = startK6(k6, script, summaryPath, {
        ...env,
        BASE_URL: system.baseUrl,
        VUS_SCALE: values['vus-scale'],
        TIME_SCALE: values['time-scale'],
        QUEUE_ADMIN_URL: system.adminUrl,
        QUEUE_ADMIN_KEY: env.QUEUE_ADMIN_KEY ?? process.env.QUEUE_ADMIN_KEY ?? 'stagepass-development-admin-key',
      })
      const meter = new CpuMeter([
        ...system.processes.map((p) => ({ name: p.spec.name, pid: p.child.pid as number })),
        { name: 'k6', pid: run.child.pid as number },
      ])
      // k6's own time is gone once it exits: sample while it runs.
      const stopSampling = meter.every(250)
      const code = await run.exited.finally(stopSampling)
      cpu = meter.mark()
      if (code !== 0 && code !== 99) log(`${target.name}: k6 exited with code ${code}`)
    } finally {
      await system.stop()
    }
    if (!existsSync(summaryPath)) throw new Error(`k6 wrote no summary for ${target.name}`)
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'))
    measurements.push(measurementFromK6Summary(summary, { scenario, target: target.name, cpu }))
  }
  return finish(
    {
      title: `${scenario}: monolith vs split`,
      method: [
        `Produced by \`node loadtests/dist/compare/cli.js run ${args.join(' ')}\` on ${machine()}.`,
        `k6 ran loadtests/scenarios/${scenario}.js (as the build compiled it, so its CPU is not spent transpiling) with VUS_SCALE=${values['vus-scale']} TIME_SCALE=${values['time-scale']} against each target in turn, each started by the launcher on a fresh database with the demo catalog.`,
        'Figures are for the requests the scenario measures (tag measured=yes); CPU is each process’s average share of one core while k6 ran (from /proc/<pid>/stat), k6 included.',
      ],
      measurements,
    },
    out,
    { measured: true },
  )
}

async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: 'string' },
      scenario: { type: 'string' },
      baseline: { type: 'string' },
      duration: { type: 'string' },
      runs: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
    },
  })
  const benchArgs = Object.entries(values)
    .filter(([name, value]) => name !== 'out' && value !== undefined)
    .flatMap(([name, value]) => [`--${name}`, String(value)])
  const run = await benchWithCpu(benchArgs, (line) => process.stdout.write(`${line}\n`))
  const { rows, settings } = readBenchResults(run.resultsPath)
  return finish(
    {
      title: 'monolith vs split (autocannon benchmark)',
      method: [
        `Produced by \`node loadtests/dist/compare/cli.js bench ${args.join(' ')}\` on ${machine()}: the project's benchmark (\`npm run bench\`) with the CPU of each process sampled from /proc/<pid>/stat during every measurement window.`,
        settings
          ? `Medians of ${settings.runs} interleaved runs of ${settings.durationSeconds} s with ${settings.connections} connections; error rates are approximate (requests ≈ median rate × duration × runs).`
          : 'Medians of interleaved runs.',
        'autocannon reports p50 and p99 only. CPU is the average share of one core over the target’s runs; `autocannon` is the load generator, on the same machine.',
        `Raw results: ${run.resultsPath.replace(`${fromRoot()}/`, '')}.`,
      ],
      measurements: measurementsFromBench(rows, settings, run.cpuOf),
    },
    values.out,
  )
}

function reportCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      k6: { type: 'string', multiple: true, default: [] },
      scenario: { type: 'string' },
      bench: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
      title: { type: 'string' },
    },
  })
  if (values.json) {
    // A report.json written earlier, rendered again (after a change to the table or chart).
    return finish(JSON.parse(readFileSync(values.json, 'utf8')) as Report, values.out)
  }
  if (values.bench) {
    const { rows, settings } = readBenchResults(values.bench)
    return finish(
      {
        title: values.title ?? 'monolith vs split (autocannon benchmark)',
        method: [
          `Rendered from ${values.bench} (written by \`npm run bench\`).`,
          settings
            ? `Medians of ${settings.runs} interleaved runs of ${settings.durationSeconds} s with ${settings.connections} connections.`
            : 'Run settings unknown (no Markdown file beside the JSON): failed requests are counts.',
        ],
        measurements: measurementsFromBench(rows, settings),
      },
      values.out,
    )
  }
  if (values.k6.length === 0 || !values.scenario)
    throw new UsageError('report: give --bench, or --k6 target=file… and --scenario')
  const measurements = values.k6.map((pair) => {
    const [target, file] = pair.split(/=(.*)/s) as [string, string | undefined]
    if (!file) throw new UsageError(`report: --k6 ${pair} is not target=summary.json`)
    return measurementFromK6Summary(JSON.parse(readFileSync(file, 'utf8')), {
      scenario: values.scenario as string,
      target,
    })
  })
  return finish(
    {
      title: values.title ?? `${values.scenario}: monolith vs split`,
      method: [`Rendered from recorded k6 summaries: ${values.k6.join(', ')}.`],
      measurements,
    },
    values.out,
  )
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === 'run') return runCommand(rest)
  if (command === 'bench') return benchCommand(rest)
  if (command === 'report') return reportCommand(rest)
  process.stderr.write(`${usage}\n`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof UsageError ? err.message : ((err as Error).stack ?? err)}\n`)
    process.exit(err instanceof UsageError ? 2 : 1)
  },
)
