import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Writable } from 'node:stream'
import { isGateway, type ProcessSpec } from './topology.js'

const COLORS = [36, 33, 35, 32, 34, 91, 93, 95, 92, 94]

export interface RunningProcess {
  spec: ProcessSpec
  /** Its place in the system (the colour of its log prefix); a restart keeps it. */
  index: number
  /** The running child: a supervised process that is restarted gets a new one (supervisor.ts). */
  child: ChildProcess
  /** When that child exits, with its exit code (null when a signal ended it). */
  exited: Promise<number | null>
}

export interface SpawnOptions {
  /** Where prefixed output goes (the terminal for `npm start`, a buffer or file in tests). */
  output: Writable
  color?: boolean
}

/** Starts one process; each line it prints is prefixed with its name. */
export function spawnProcess(
  spec: ProcessSpec,
  index: number,
  { output, color = false }: SpawnOptions,
): RunningProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', spec.entry], {
    env: { ...process.env, ...spec.env },
    // The IPC channel is a lifeline: when the launcher dies, the child sees 'disconnect' and stops.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: Ctrl-C in the terminal reaches the launcher only, which then sends one
    // SIGTERM to each process. (A second signal means "stop now" to close-with-grace.)
    detached: true,
  })
  const label = spec.name.padEnd(10)
  const prefix = color ? `\x1b[${COLORS[index % COLORS.length]}m${label}|\x1b[0m ` : `${label}| `
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.write(`${prefix}${line}\n`))
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { spec, index, child, exited }
}

/**
 * Polls a path until it answers 200, the process dies, or time runs out. It asks the operations port
 * (the only one serving `/health/ready`), unless told another `port`: a process without one. The
 * bound is for a process that hangs, not a goal: on a busy machine a start can take many seconds, and
 * a process that dies is noticed at once.
 */
export async function waitUntilReady(
  proc: RunningProcess,
  path: string,
  { timeoutMs = 120_000, port = proc.spec.opsPort }: { timeoutMs?: number; port?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let dead = false
  proc.exited.then(() => {
    dead = true
  })
  // What the last try saw (refused: not listening yet; a timeout: its event loop is stuck; a status:
  // something answers there), so a process that never came up says why.
  let lastSeen = 'nothing yet'
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${proc.spec.name} exited before it was ready`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) })
      if (res.status === 200) return
      lastSeen = `${res.status} ${(await res.text()).slice(0, 200)}`
    } catch (err) {
      lastSeen = causeOf(err)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(
    `${proc.spec.name} (pid ${proc.child.pid}) was not ready on port ${port} after ${timeoutMs} ms; last seen: ${lastSeen}`,
  )
}

/** fetch's reason, from its cause when it has one (`ECONNREFUSED`, a timeout). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).name ?? String(err)
}

/** Sends SIGTERM to every process and waits for all to exit; SIGKILL after the grace period. */
export async function stopAll(procs: RunningProcess[], graceMs = 15_000): Promise<Array<number | null>> {
  for (const proc of procs) if (proc.child.exitCode === null) proc.child.kill('SIGTERM')
  const killer = setTimeout(() => {
    for (const proc of procs) if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
  }, graceMs)
  const codes = await Promise.all(procs.map((p) => p.exited))
  clearTimeout(killer)
  return codes
}

/**
 * Starts processes in order (services before the gateways) and waits for each to be live on its
 * operations port, which a process opens after its public one.
 */
export async function startProcesses(
  specs: ProcessSpec[],
  options: SpawnOptions,
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<RunningProcess[]> {
  const procs: RunningProcess[] = []
  try {
    const services = specs.filter((s) => !isGateway(s))
    const started = services.map((spec, i) => spawnProcess(spec, i, options))
    procs.push(...started)
    await Promise.all(started.map((p) => waitUntilReady(p, '/health/live', { timeoutMs })))
    const gateways = specs.filter(isGateway).map((spec, i) => spawnProcess(spec, services.length + i, options))
    procs.push(...gateways)
    await Promise.all(gateways.map((p) => waitUntilReady(p, '/health/live', { timeoutMs })))
    return procs
  } catch (err) {
    await stopAll(procs, 2000)
    throw err
  }
}
