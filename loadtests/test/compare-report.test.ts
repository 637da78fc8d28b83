import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fromRoot, gatewayEntry, SERVICES, serviceEntry } from '@stagepass/launcher'
import t from 'tap'
import { measurementsFromBench, readBenchResults } from '../compare/bench-results.js'
import { roleOf } from '../compare/bench-run.js'
import { renderSvg } from '../compare/chart.js'
import { CpuMeter } from '../compare/cpu.js'
import { measurementFromK6Summary, SummaryError } from '../compare/k6-summary.js'
import type { Report } from '../compare/model.js'
import { renderMarkdown, serverCpuPerRequest } from '../compare/report.js'

const run = promisify(execFile)
const fixture = (...parts: string[]) => fromRoot('loadtests', 'test', 'fixtures', ...parts)
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))
const cli = fromRoot('loadtests', 'dist', 'compare', 'cli.js')
const BENCH = fixture('bench', 'bench-2026-11-26T02-18-14.json')

function tempDir(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'sp-compare-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('a k6 summary becomes the figures of the measured requests', async (t) => {
  const monolith = measurementFromK6Summary(readJson(fixture('k6', 'payment-monolith.json')), {
    scenario: 'payment',
    target: 'monolith',
    cpu: [{ name: 'monolith', cpuSeconds: 90, cpuPercent: 40 }],
  })
  // The {measured:yes} sub-metrics, not the whole run (which includes waiting-room polls).
  t.equal(monolith.throughput, 41.5)
  t.equal(monolith.requests, 100)
  t.equal(monolith.p50, 180)
  t.equal(monolith.p95, 950)
  t.equal(monolith.p99, 4100)
  t.equal(monolith.errorRate, 0)
  t.same(monolith.thresholdsCrossed, [])

  const split = measurementFromK6Summary(readJson(fixture('k6', 'payment-split.json')), {
    scenario: 'payment',
    target: 'split',
  })
  t.same(split.thresholdsCrossed, ['http_req_duration{measured:yes}: p(99)<5000'], 'a crossed threshold is reported')

  // handleSummary()'s shape (values nested, thresholds as { ok }) reads the same way.
  const scaled = measurementFromK6Summary(readJson(fixture('k6', 'payment-split-booking-3.json')), {
    scenario: 'payment',
    target: 'split booking×3',
  })
  t.equal(scaled.throughput, 44.9)
  t.equal(scaled.p99, 2500)
  t.equal(scaled.errorRate, 0)

  t.throws(() => measurementFromK6Summary({ root_group: {} }, { scenario: 'x', target: 'y' }), SummaryError)
})

t.test('the bench JSON becomes the same kind of figures', async (t) => {
  const { rows, settings } = readBenchResults(BENCH)
  t.same(settings, { runs: 3, durationSeconds: 5, connections: 50 }, 'settings from the Markdown beside it')
  const measurements = measurementsFromBench(rows, settings)
  const split = measurements.find((m) => m.scenario === 'GET /points/current/:userId' && m.target === 'split')
  t.equal(Math.round(split?.throughput ?? 0), 658)
  t.equal(split?.p50, 69)
  t.equal(split?.p99, 176)
  t.equal(split?.p95, undefined, 'autocannon reports no p95')
  t.equal(split?.errorRate, 0)
  t.equal(split?.tool, 'autocannon')
  t.equal(measurements.length, rows.length)
})

t.test('a newer bench tells expected answers (a lost seat race) from failures', async (t) => {
  const { rows, settings } = readBenchResults(fixture('bench', 'bench-2026-11-26T03-13-33.json'))
  const measurements = measurementsFromBench(rows, settings)
  const stampede = measurements.find(
    (m) => m.scenario === 'POST /concerts/reserve-seat (1,000 connections, 100 seats)' && m.target === 'monolith',
  )
  // 7,941 answers were 409 SEAT_UNAVAILABLE, which the scenario expects: no failure.
  t.equal(stampede?.errorRate, 0)
  const seats = measurements.find((m) => m.scenario === 'GET /concerts/1/available-seats' && m.target === 'split')
  // 3,249 answers were 5xx: failures, about 3,249 / (1,209 req/s × 5 s × 3 runs).
  t.ok(Math.abs((seats?.errorRate ?? 0) - 3249 / (1209 * 15 + 3249)) < 1e-9, 'failures as a share of requests')
})

t.test(
  'CPU per request counts the processes that served the target, not the load generator or idle ones',
  async (t) => {
    const measured = (target: string, throughput: number, cpu: Report['measurements'][number]['cpu']) => ({
      scenario: 'POST /queue/tokens',
      target,
      tool: 'autocannon' as const,
      throughput,
      requests: throughput * 15,
      thresholdsCrossed: [],
      cpu,
    })
    const monolith = measured('monolith', 20_000, [
      { name: 'monolith', cpuSeconds: 15, cpuPercent: 100 },
      { name: 'autocannon', cpuSeconds: 13.5, cpuPercent: 90 },
      { name: 'gateway', cpuSeconds: 0.6, cpuPercent: 4 },
    ])
    const point = { name: 'point', cpuSeconds: 0.6, cpuPercent: 4 }
    const split = measured('split', 8_000, [
      { name: 'gateway', cpuSeconds: 12, cpuPercent: 80 },
      { name: 'queue', cpuSeconds: 6, cpuPercent: 40 },
      { name: 'autocannon', cpuSeconds: 10.5, cpuPercent: 70 },
      { name: 'monolith', cpuSeconds: 0.6, cpuPercent: 4 },
      { name: 'point', cpuSeconds: 0.15, cpuPercent: 1 },
    ])
    // 15 CPU-seconds for 300,000 requests; 18 for 120,000 (the ticks of the idle processes left out).
    t.equal(serverCpuPerRequest(monolith), 50)
    t.equal(serverCpuPerRequest(split), 150)
    t.equal(serverCpuPerRequest({ ...split, requests: undefined }), undefined, 'no count, no figure')
    // k6 runs each target alone: a context serving a little (point at 4%) is part of the system's cost.
    t.equal(serverCpuPerRequest({ ...split, tool: 'k6', cpu: [...split.cpu.slice(0, 3), point] }), 155)
    const markdown = renderMarkdown({ title: 'tokens', method: [], measurements: [monolith, split] })
    t.match(
      markdown,
      '| 150 | gateway 80% (100 µs), autocannon 70% (88 µs), queue 40% (50 µs), monolith 4% (5 µs), others 1% |',
    )
    t.match(markdown, '| POST /queue/tokens | split | 0.40× | – | 3.00× |', 'split spends 3× the monolith per request')
  },
)

t.test('the report: a table with every figure, ratios against the monolith, and a chart', async (t) => {
  const report: Report = {
    title: 'payment: monolith vs split',
    method: ['recorded'],
    measurements: [
      measurementFromK6Summary(readJson(fixture('k6', 'payment-monolith.json')), {
        scenario: 'payment',
        target: 'monolith',
        cpu: [
          { name: 'monolith', cpuSeconds: 90, cpuPercent: 40.2 },
          { name: 'k6', cpuSeconds: 30, cpuPercent: 13.3 },
        ],
      }),
      measurementFromK6Summary(readJson(fixture('k6', 'payment-split.json')), { scenario: 'payment', target: 'split' }),
    ],
  }
  const markdown = renderMarkdown(report, { chart: 'report.svg' })
  t.match(
    markdown,
    '| payment | monolith | 42 | 180.0 | 950.0 | 4100.0 | 0.00% | 900000 | monolith 40% (900000 µs), k6 13% (300000 µs) |',
    'CPU per request of the 100 measured: the serving process alone, then each process',
  )
  t.match(markdown, '| payment | split | 35 | 240.0 | 1400.0 | 5600.0 | 0.00% | – | – |')
  t.match(markdown, '| payment | split | 0.85× | 1.37× | – |', 'split against the monolith')
  t.match(markdown, '- payment on split: http_req_duration{measured:yes}: p(99)<5000')
  t.match(markdown, '![payment: monolith vs split](report.svg)')

  const svg = renderSvg(report)
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, 'an SVG document')
  t.match(svg, `<title>${report.title}</title>`, 'titled, for screen readers')
  t.notMatch(svg, /<script|href=|@import/, 'self-contained: no scripts or links')
  t.equal(svg.match(/<svg/g)?.length, svg.match(/<\/svg>/g)?.length)
  for (const label of ['monolith', 'split', 'p99 4100', 'p99 5600', 'payment']) t.match(svg, label)
  // The busier target has the longer throughput bar.
  const widths = [...svg.matchAll(/<rect x="160" y="\d+" width="([\d.]+)" height="20"/g)].map((m) => Number(m[1]))
  t.same(
    widths,
    [300, (35.2 / 41.5) * 300].map((w) => Number(w.toFixed(1))),
  )
})

t.test('the command writes the report from recorded k6 summaries and from a bench JSON', async (t) => {
  const fromK6 = tempDir(t)
  await run(process.execPath, [
    cli,
    'report',
    '--scenario',
    'payment',
    '--k6',
    `monolith=${fixture('k6', 'payment-monolith.json')}`,
    '--k6',
    `split=${fixture('k6', 'payment-split.json')}`,
    '--k6',
    `split booking×3=${fixture('k6', 'payment-split-booking-3.json')}`,
    '--out',
    fromK6,
  ])
  const markdown = readFileSync(join(fromK6, 'report.md'), 'utf8')
  for (const target of ['monolith', 'split', 'split booking×3']) t.match(markdown, `| payment | ${target} |`)
  t.ok(existsSync(join(fromK6, 'report.svg')), 'the chart')
  t.equal(readJson(join(fromK6, 'report.json')).measurements.length, 3, 'the figures as JSON')

  const fromBench = tempDir(t)
  await run(process.execPath, [cli, 'report', '--bench', BENCH, '--out', fromBench])
  const benchMarkdown = readFileSync(join(fromBench, 'report.md'), 'utf8')
  t.match(benchMarkdown, '| PUT /points/charge | monolith | 596 | 75.0 | – | 215.0 | 0.00% | – | – |')
  t.match(readFileSync(join(fromBench, 'report.svg'), 'utf8'), 'PUT /points/charge')
})

t.test('without k6 the run command says how to measure instead', async (t) => {
  const result = await run(process.execPath, [cli, 'run', 'payment'], {
    env: { ...process.env, PATH: '/nonexistent', K6_BIN: '' },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  )
  t.equal(result.code, 2)
  t.match(result.stderr, /k6 is not installed.*compare\/cli\.js bench/)
})

/**
 * A child that waits for "go", burns 300 ms of its own CPU time (however long that takes on a busy
 * machine), says "burnt", then idles until killed.
 */
async function cpuBurner(t: { teardown(fn: () => void): void }) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      [
        "process.stdout.write('ready\\n')",
        "process.stdin.once('data', () => {",
        '  const start = process.cpuUsage()',
        '  while (true) {',
        '    const used = process.cpuUsage(start)',
        '    if (used.user + used.system >= 300_000) break',
        '  }',
        "  process.stdout.write('burnt\\n')",
        '  setInterval(() => {}, 1000)',
        '})',
      ].join('\n'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  t.teardown(() => child.kill())
  const said = (word: string) =>
    new Promise<void>((resolve) => {
      const listen = (chunk: Buffer) => {
        if (!chunk.toString().includes(word)) return
        child.stdout.off('data', listen)
        resolve()
      }
      child.stdout.on('data', listen)
    })
  await said('ready')
  return {
    child,
    /** Starts the burn; resolves once it is done. */
    burn: () => {
      const burnt = said('burnt')
      child.stdin.write('go\n')
      return burnt
    },
  }
}

t.test('CPU is read per process from /proc', async (t) => {
  const { child, burn } = await cpuBurner(t)
  const started = performance.now()
  const meter = new CpuMeter([{ name: 'busy', pid: child.pid as number }])
  await burn()
  const [busy] = meter.mark()
  const wallSeconds = (performance.now() - started) / 1000
  t.equal(busy?.name, 'busy')
  t.ok((busy?.cpuSeconds ?? 0) >= 0.25, `the busy loop shows as CPU time (${busy?.cpuSeconds.toFixed(2)} s)`)
  // A share of one core (100 = one core busy), not a fraction and not a share of every core: at least
  // the CPU time over the wall time seen from outside, which brackets the meter's own.
  const lowest = ((busy?.cpuSeconds ?? 0) / wallSeconds) * 100
  t.ok((busy?.cpuPercent ?? 0) >= lowest, `as a share of one core (${busy?.cpuPercent.toFixed(0)}%)`)
})

t.test('a process that has exited (k6 at the end of its run) keeps the CPU time sampled while it ran', async (t) => {
  const { child, burn } = await cpuBurner(t)
  const meter = new CpuMeter([{ name: 'k6', pid: child.pid as number }])
  await burn()
  meter.sample()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill()
  await exited
  const [k6] = meter.mark()
  t.ok((k6?.cpuSeconds ?? 0) >= 0.25, `its CPU time is reported after it exited (${k6?.cpuSeconds.toFixed(2)} s)`)
})

t.test(
  "the bench's processes are named by what they run, from the command lines the launcher gives them",
  async (t) => {
    const node = [process.execPath, '--enable-source-maps']
    for (const service of SERVICES) t.equal(roleOf([...node, serviceEntry(service)], []), service)
    t.equal(roleOf([...node, gatewayEntry], ['MODE=split']), 'gateway')
    t.equal(roleOf([...node, gatewayEntry], ['LOG_LEVEL=warn', 'MODE=monolith']), 'monolith')
    t.equal(roleOf([...node, fromRoot('packages/launcher/dist/src/bench/raw-point-server.js')], []), 'raw-point-server')
    // `--baseline <tree>`: the same processes built from another checkout.
    const other = join(tmpdir(), 'stagepass-baseline')
    t.equal(roleOf([...node, join(other, 'services/booking/dist/bundle/server.mjs')], []), 'booking(baseline)')
    t.equal(roleOf([...node, join(other, 'gateway/dist/src/server.js')], ['MODE=monolith']), 'monolith(baseline)')
  },
)
