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
 * CPU time per process between `mark()` calls. A process that exits keeps the time last read, so a
 * crash during a run does not lose what it used before.
 */
export class CpuMeter {
  readonly #last = new Map<number, number>()
  #since = performance.now()

  readonly processes: Watched[]

  constructor(processes: Watched[]) {
    this.processes = processes
    this.mark()
  }

  /** CPU used by each process since the previous mark, and starts a new window. */
  mark(): ProcessCpu[] {
    const now = performance.now()
    const wall = (now - this.#since) / 1000
    this.#since = now
    return this.processes.map(({ name, pid }) => {
      const before = this.#last.get(pid)
      const current = readStat(pid)?.cpuSeconds ?? before ?? 0
      this.#last.set(pid, current)
      const cpuSeconds = before === undefined ? 0 : current - before
      return { name, cpuSeconds, cpuPercent: wall > 0 ? (cpuSeconds / wall) * 100 : 0 }
    })
  }
}
