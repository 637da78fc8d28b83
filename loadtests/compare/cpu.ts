import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import type { ProcessCpu } from './model.js'

let ticksPerSecond: number | undefined

/** Clock ticks per second of /proc/<pid>/stat times (CLK_TCK; 100 on every Linux in practice). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

interface Stat {
  ppid: number
  /** utime + stime, in seconds. */
  cpuSeconds: number
}

/** A process's parent and CPU time from /proc/<pid>/stat; undefined once it has exited. */
export function readStat(pid: number): Stat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const ppid = Number(fields[1])
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return { ppid, cpuSeconds: (utime + stime) / clockTicks() }
}

/** The children of a process (from /proc, so it works for processes this one did not spawn). */
export function childrenOf(parent: number): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    if (readStat(Number(entry))?.ppid === parent) pids.push(Number(entry))
  }
  return pids
}

export interface Watched {
  name: string
  pid: number
}

/**
 * CPU time per process between `mark()` calls. A process's time can only be read while it runs
 * (its /proc entry goes when it exits), so `sample()` reads every process without closing the
 * window: one that exits — k6 at the end of its run, or a service that crashes — keeps the time
 * last sampled. `every(ms)` samples on a timer until the returned function is called.
 */
export class CpuMeter {
  /** CPU seconds per pid when the window opened, and when last read. */
  readonly #start = new Map<number, number>()
  readonly #latest = new Map<number, number>()
  #since = performance.now()

  readonly processes: Watched[]

  constructor(processes: Watched[]) {
    this.processes = processes
    this.mark()
  }

  /** Reads every process that still runs; the window stays open. */
  sample(): void {
    for (const { pid } of this.processes) {
      const cpuSeconds = readStat(pid)?.cpuSeconds
      if (cpuSeconds !== undefined) this.#latest.set(pid, cpuSeconds)
    }
  }

  /** Samples every `ms` milliseconds; call the returned function to stop. */
  every(ms: number): () => void {
    const timer = setInterval(() => this.sample(), ms)
    timer.unref()
    return () => clearInterval(timer)
  }

  /** CPU used by each process since the previous mark, and starts a new window. */
  mark(): ProcessCpu[] {
    this.sample()
    const now = performance.now()
    const wall = (now - this.#since) / 1000
    this.#since = now
    return this.processes.map(({ name, pid }) => {
      const before = this.#start.get(pid)
      const current = this.#latest.get(pid) ?? before ?? 0
      this.#start.set(pid, current)
      const cpuSeconds = before === undefined ? 0 : current - before
      return { name, cpuSeconds, cpuPercent: wall > 0 ? (cpuSeconds / wall) * 100 : 0 }
    })
  }
}
