import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, isAbsolute, sep } from 'node:path'
import { createInterface } from 'node:readline'
import { fromRoot } from '@stagepass/launcher'
import { childrenOf, readStat } from './cpu.js'
import type { ProcessCpu } from './model.js'

/** A context's or the gateway's server, as the launcher runs it (its bundle) or as tsc built it. */
const SERVER_ENTRY = /(?:services\/([^/]+)|(gateway))\/dist\/(?:bundle\/server\.mjs|src\/server\.js)$/

/**
 * What a bench child process is, from its command line (the entry file) and, for the gateway's
 * entry, its environment (MODE). A process run from another tree (`--baseline <tree>`) is named
 * `(baseline)`, as the bench names its targets, so the two trees' processes are told apart.
 */
export function roleOf(argv: string[], environ: string[]): string {
  const entry = argv.find((arg) => /\.m?js$/.test(arg)) ?? ''
  const tree = isAbsolute(entry) && !entry.startsWith(`${fromRoot()}${sep}`) ? '(baseline)' : ''
  const server = SERVER_ENTRY.exec(entry)
  if (server?.[1]) return `${server[1]}${tree}`
  if (server?.[2]) return `${environ.includes('MODE=monolith') ? 'monolith' : 'gateway'}${tree}`
  return `${basename(entry).replace(/\.m?js$/, '') || 'unknown'}${tree}`
}

/** `roleOf` for a running process, read from /proc. */
export function processRole(pid: number): string {
  const read = (file: string) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0')
    } catch {
      return []
    }
  }
  const argv = read('cmdline')
  return argv.length === 0 ? `pid ${pid}` : roleOf(argv, read('environ'))
}

interface Sample {
  at: number
  cpuSeconds: number
}

/**
 * CPU samples of every process, every 250 ms: the CPU a process used in any past window is then
 * read off its samples, so process start-up and the bench's preparation between measurements are
 * left out.
 */
class CpuTimeline {
  readonly samples = new Map<number, { role: string; samples: Sample[] }>()
  readonly root: number
  readonly #timer: NodeJS.Timeout

  constructor(root: number) {
    this.root = root
    this.#timer = setInterval(() => this.sample(), 250)
    this.sample()
  }

  sample(): void {
    const at = performance.now()
    const pids = [this.root, ...childrenOf(this.root)]
    for (const pid of pids) {
      const stat = readStat(pid)
      if (!stat) continue
      let entry = this.samples.get(pid)
      if (!entry) {
        entry = { role: pid === this.root ? 'autocannon' : processRole(pid), samples: [] }
        this.samples.set(pid, entry)
      }
      entry.samples.push({ at, cpuSeconds: stat.cpuSeconds })
    }
  }

  /** CPU of each process over the last `seconds`, linearly interpolated between samples. */
  window(seconds: number): ProcessCpu[] {
    this.sample()
    const end = performance.now()
    const start = end - seconds * 1000
    const result: ProcessCpu[] = []
    for (const { role, samples } of this.samples.values()) {
      const cpuSeconds = cpuAt(samples, end) - cpuAt(samples, start)
      result.push({ name: role, cpuSeconds, cpuPercent: (cpuSeconds / seconds) * 100 })
    }
    return result
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}

function cpuAt(samples: Sample[], at: number): number {
  const first = samples[0]
  if (!first || at <= first.at) return first?.cpuSeconds ?? 0
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i] as Sample
    if (b.at < at) continue
    const a = samples[i - 1] as Sample
    return a.cpuSeconds + ((b.cpuSeconds - a.cpuSeconds) * (at - a.at)) / (b.at - a.at || 1)
  }
  return (samples.at(-1) as Sample).cpuSeconds
}

/** `bench | suite | scenario | target | run n: …` (and the older `bench | suite/scenario target run n: …`). */
const MEASUREMENT_LINES = [/^bench \| [^|]+ \| (.+) \| ([^|]+) \| run \d+: /, /^bench \| [^/|]+\/(.+) (\S+) run \d+: /]

export interface BenchRun {
  /** The JSON the bench wrote (bench-results/bench-<stamp>.json). */
  resultsPath: string
  /**
   * Average CPU of every process during the runs of a scenario on a target. Measurements run one at
   * a time, so the busy processes in a window are the ones serving that target (plus the load
   * generator); the idle rest shows as ~0.
   */
  cpuOf: (scenario: string, target: string) => ProcessCpu[]
}

/**
 * Runs the project's benchmark (`npm run bench`'s command, unchanged, with `args`) and samples the
 * CPU of its processes during each measurement window.
 */
export async function benchWithCpu(args: string[], echo: (line: string) => void): Promise<BenchRun> {
  const durationIndex = args.indexOf('--duration')
  const duration = durationIndex >= 0 ? Number(args[durationIndex + 1]) : 10
  const child = spawn(process.execPath, [fromRoot('packages/launcher/dist/src/cli.js'), 'bench', ...args], {
    cwd: fromRoot(),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const timeline = new CpuTimeline(child.pid as number)
  const windows = new Map<string, ProcessCpu[][]>()
  let resultsPath: string | undefined
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  lines.on('line', (line) => {
    echo(line)
    const measured = MEASUREMENT_LINES.map((pattern) => pattern.exec(line)).find(Boolean)
    if (measured) {
      const [, scenario, target] = measured as unknown as [string, string, string]
      const key = `${scenario}\0${target}`
      windows.set(key, [...(windows.get(key) ?? []), timeline.window(duration)])
    }
    const written = /results written to (bench-results\/bench-[^.]+)\.\{md,json\}/.exec(line)
    if (written) resultsPath = fromRoot(`${written[1]}.json`)
  })
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)))
  timeline.stop()
  if (code !== 0 || !resultsPath) throw new Error(`the bench exited with code ${code}`)
  return {
    resultsPath,
    cpuOf: (scenario, target) => {
      const runs = windows.get(`${scenario}\0${target}`) ?? []
      const total = new Map<string, number>()
      for (const run of runs) {
        for (const p of run) total.set(p.name, (total.get(p.name) ?? 0) + p.cpuSeconds)
      }
      const seconds = runs.length * duration
      return [...total].map(([name, cpuSeconds]) => ({
        name,
        cpuSeconds,
        cpuPercent: seconds > 0 ? (cpuSeconds / seconds) * 100 : 0,
      }))
    },
  }
}
