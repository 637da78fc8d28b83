import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createDb, createServerConnection, ensureDatabase, migrateToLatest } from '@stagepass/db'
import { SERVICE_ASSERTION_HEADER, signerFromEnv } from '@stagepass/kit'
import { sql } from 'kysely'
import { type Measurement, measure, median, type OutcomeLatency, type SignRequest } from '../bench/measure.js'
import { renderReport } from '../bench/report.js'
import type { BenchContext, BenchSuite, BenchTarget } from '../bench/suite.js'
import { loadLauncherConfig, sharedEnv } from '../environment.js'
import { fromRoot, repoRoot } from '../paths.js'
import { freePort } from '../ports.js'
import { preflight } from '../preflight.js'
import { type RunningProcess, spawnProcess, startProcesses, stopAll, waitUntilReady } from '../processes.js'
import { removeKeys } from '../test-resources.js'
import { type ProcessSpec, planProcesses, SERVICES } from '../topology.js'

/**
 * A context measured directly (`direct:<service>`, `direct:<service>(variant)`) answers only what
 * the gateway passed on: each request gets the assertion the split gateway would add.
 */
function directSigner(target: BenchTarget): SignRequest | undefined {
  const audience = /^direct:([a-z]+)/.exec(target)?.[1]
  if (!audience) return undefined
  const signer = signerFromEnv('gateway')
  return (method, url, headers) => ({ [SERVICE_ASSERTION_HEADER]: signer.sign({ audience, method, url, headers }) })
}

/** `entry` (a path in this tree) in the tree at `root`: its bundle when it has one, else tsc's server. */
function entryIn(root: string, entry: string): string {
  const rebased = entry.replace(repoRoot, root)
  if (existsSync(rebased)) return rebased
  const compiled = rebased.replace(/dist\/bundle\/server\.mjs$/, 'dist/src/server.js')
  return existsSync(compiled) ? compiled : rebased
}

async function loadSuites(only: string | undefined): Promise<BenchSuite[]> {
  // The suites live with the gateway, which depends on every context (the launcher cannot).
  const { BENCH_SUITES } = (await import(pathToFileURL(fromRoot('gateway/dist/bench/index.js')).href)) as {
    BENCH_SUITES: BenchSuite[]
  }
  return BENCH_SUITES.filter((s) => !only || only.split(',').includes(s.name))
}

/** Per outcome: answers summed over the runs, p50 and p99 the medians of the runs'. */
const outcomeMedians = (runs: OutcomeLatency[]): OutcomeLatency => ({
  count: runs.reduce((n, o) => n + o.count, 0),
  p50: median(runs.map((o) => o.p50)),
  p99: median(runs.map((o) => o.p99)),
})

/** `--scenario 'pay|1,000 conn'`: scenarios whose name matches the pattern (case-insensitive); all when not given. */
const matchesScenario = (name: string, pattern: string | undefined) => !pattern || new RegExp(pattern, 'i').test(name)

/**
 * `npm run bench`: starts split mode, monolith mode and each suite's extra servers (raw baselines,
 * variants) side by side on one throwaway database, then measures each scenario on each target in
 * interleaved rounds (so machine noise hits all targets alike) and reports medians and ratios.
 */
export async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      scenario: { type: 'string' },
      'proxy-connections': { type: 'string' },
      baseline: { type: 'string' },
    },
  })
  const duration = Number(values.duration)
  const runs = Number(values.runs)
  const connections = Number(values.connections)
  const config = loadLauncherConfig()
  await preflight(config)
  const suites = await loadSuites(values.only)

  const id = randomBytes(3).toString('hex')
  const database = { ...config, MYSQL_DATABASE: `sp_bench_${id}` }
  const redisPrefix = `sp-bench-${id}:`
  await ensureDatabase(database)
  const db = createDb({ ...database, MYSQL_POOL_SIZE: 8 })
  await migrateToLatest(db)
  const log = (line: string) => process.stdout.write(`bench | ${line}\n`)
  const output = new PassThrough()
  output.resume()
  const procs: RunningProcess[] = []
  const startExtra = async (name: string, entry: string, env: Record<string, string>) => {
    const [port, opsPort] = [await freePort(), await freePort()]
    const proc = spawnProcess(
      { name, entry, port, opsPort, env: { ...env, PORT: String(port), OPS_PORT: String(opsPort) } },
      0,
      { output },
    )
    procs.push(proc)
    // The raw baselines are bare servers with no operations port.
    await waitUntilReady(proc, '/health/live', { port })
    return `http://127.0.0.1:${port}`
  }
  try {
    for (const suite of suites) await suite.prepare?.(db)
    const env: Record<string, string> = {
      ...sharedEnv({ ...database, REDIS_PREFIX: redisPrefix }),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      // A dozen processes share one server: keep their pools inside MySQL's default connection limit.
      MYSQL_POOL_SIZE: '8',
      ...Object.assign({}, ...suites.map((s) => s.env ?? {})),
    }
    /**
     * Split mode and monolith mode of the code in `root` (this tree unless a baseline is asked
     * for); `suffix` names the targets and the processes, e.g. `monolith(baseline)`.
     */
    const startSystems = async (suffix: string, root: string = repoRoot) => {
      const ports = new Map<string, number>()
      for (const service of SERVICES) {
        ports.set(service, await freePort())
        ports.set(`${service}:ops`, await freePort())
      }
      const splitPort = await freePort()
      const monolithPort = await freePort()
      // The same plan, its entries taken from the other tree's build: its bundles, or what tsc built
      // where the tree is older than the bundles (a baseline of the code an issue was filed against).
      const rebased = (specs: ProcessSpec[]) =>
        specs.map((spec) => ({ ...spec, name: `${spec.name}${suffix}`, entry: entryIn(root, spec.entry) }))
      const split = rebased(
        planProcesses({
          mode: 'split',
          scale: {},
          env,
          gatewayPort: splitPort,
          servicePort: (service) => ports.get(service) as number,
          gatewayOpsPort: await freePort(),
          serviceOpsPort: (service) => ports.get(`${service}:ops`) as number,
        }),
      )
      const monolith = rebased(
        planProcesses({
          mode: 'monolith',
          scale: {},
          env,
          gatewayPort: monolithPort,
          servicePort: () => 0,
          gatewayOpsPort: await freePort(),
          serviceOpsPort: () => 0,
        }),
      )
      procs.push(...(await startProcesses(split, { output })))
      procs.push(...(await startProcesses(monolith, { output })))
      const urls: Record<BenchTarget, string> = {
        [`split${suffix}`]: `http://127.0.0.1:${splitPort}`,
        [`monolith${suffix}`]: `http://127.0.0.1:${monolithPort}`,
      }
      for (const service of SERVICES) urls[`direct:${service}${suffix}`] = `http://127.0.0.1:${ports.get(service)}`
      return { urls, gatewaySpec: split.find((spec) => spec.name === `gateway${suffix}`) }
    }
    const { urls, gatewaySpec } = await startSystems('')
    const splitEnv = gatewaySpec?.env ?? env
    // The same systems built from another tree (the commit before a change), measured in the same rounds.
    const baseline = values.baseline === undefined ? undefined : resolve(values.baseline)
    if (baseline) Object.assign(urls, (await startSystems('(baseline)', baseline)).urls)

    // Extra split gateways with other upstream pool sizes, in front of the same services.
    const poolSizes = (values['proxy-connections'] ?? '').split(',').filter(Boolean).map(Number)
    for (const size of poolSizes) {
      urls[`split(pool=${size})`] = await startExtra(`split(pool=${size})`, gatewaySpec?.entry ?? '', {
        ...splitEnv,
        PROXY_CONNECTIONS: String(size),
      })
    }
    const ctx: BenchContext = { db, redisUrl: config.REDIS_URL, redisPrefix, env, splitEnv, urls }
    for (const suite of suites) {
      for (const extra of suite.extraServers ?? []) {
        urls[extra.name] = await startExtra(extra.name, fromRoot(extra.entry), { ...env, ...extra.env?.(ctx) })
      }
    }
    for (const suite of suites) await suite.setup?.(ctx)

    const results: Array<{ suite: string; scenario: string; target: BenchTarget; runs: Measurement[] }> = []
    for (const suite of suites) {
      for (const scenario of suite.scenarios(ctx).filter((s) => matchesScenario(s.name, values.scenario))) {
        const targets = scenario.targets.flatMap((t) => [
          t,
          ...(t === 'split' ? poolSizes.map((size) => `split(pool=${size})`) : []),
          ...(baseline && (t === 'split' || t === 'monolith') ? [`${t}(baseline)`] : []),
        ])
        const perTarget = new Map<BenchTarget, Measurement[]>(targets.map((t) => [t, []]))
        for (let run = 0; run < runs; run++) {
          // Rotate the order each round so no target always runs first (warm caches, thermal state).
          const order = targets.map((_, i) => targets[(i + run) % targets.length] as BenchTarget)
          for (const target of order) {
            const url = urls[target]
            if (!url) throw new Error(`no URL for bench target ${target}`)
            await scenario.before?.(ctx, target)
            const m = await measure(url, scenario, {
              duration,
              connections: scenario.connections ?? connections,
              sign: directSigner(target),
            })
            perTarget.get(target)?.push(m)
            log(
              `${suite.name} | ${scenario.name} | ${target} | run ${run + 1}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, socket errors ${m.errors}, statuses ${JSON.stringify(m.statuses)}${m.sample ? `, e.g. ${m.sample}` : ''}`,
            )
          }
        }
        for (const [target, ms] of perTarget)
          results.push({ suite: suite.name, scenario: scenario.name, target, runs: ms })
      }
    }

    const summary = results.map((r) => ({
      suite: r.suite,
      scenario: r.scenario,
      target: r.target,
      rps: median(r.runs.map((m) => m.rps)),
      p50: median(r.runs.map((m) => m.p50)),
      p99: median(r.runs.map((m) => m.p99)),
      errors: r.runs.reduce((a, m) => a + m.errors, 0),
      non2xx: r.runs.reduce((a, m) => a + m.non2xx, 0),
      serverErrors: r.runs.reduce((a, m) => a + m.serverErrors, 0),
      unexpected: r.runs.reduce((a, m) => a + m.unexpected, 0),
      outcomes: {
        won: outcomeMedians(r.runs.map((m) => m.outcomes.won)),
        refused: outcomeMedians(r.runs.map((m) => m.outcomes.refused)),
      },
    }))
    const report = renderReport(summary, { duration, runs, connections })
    process.stdout.write(`\n${report}\n`)
    mkdirSync(fromRoot('bench-results'), { recursive: true })
    const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19)
    writeFileSync(fromRoot('bench-results', `bench-${stamp}.json`), JSON.stringify({ summary, results }, null, 2))
    writeFileSync(fromRoot('bench-results', `bench-${stamp}.md`), report)
    log(`results written to bench-results/bench-${stamp}.{md,json}`)
    return 0
  } finally {
    await stopAll(procs, 5000)
    await db.destroy()
    const server = createServerConnection(database)
    await sql`drop database if exists ${sql.id(database.MYSQL_DATABASE)}`.execute(server)
    await server.destroy()
    await removeKeys(config, `${redisPrefix}*`)
  }
}
