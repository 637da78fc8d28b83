import { type RunningProcess, type SpawnOptions, spawnProcess, stopAll, waitUntilReady } from './processes.js'

/** How the launcher restarts a process that exits without being asked to, and when it gives up. */
export interface RestartPolicy {
  /** Wait before the first restart; each further crash in a row doubles it… */
  firstDelayMs: number
  /** …up to this. */
  maxDelayMs: number
  /** This many exits within `windowMs` and the launcher gives up (and stops the system). */
  maxCrashes: number
  /**
   * The window of `maxCrashes`; a process that has run this long since its last start has recovered,
   * and its next restart waits `firstDelayMs` again.
   */
  windowMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 250,
  maxDelayMs: 10_000,
  maxCrashes: 5,
  windowMs: 60_000,
}

export interface SuperviseOptions extends SpawnOptions {
  /** Where the launcher's own lines go (`launcher  | …`). */
  log: (line: string) => void
  policy?: Partial<RestartPolicy>
}

/** How supervision ended: stopped when asked, or after giving up on a process that kept crashing. */
export interface SupervisionEnd {
  gaveUpOn?: string
}

export interface Supervisor {
  /** Settles once every process has exited: after `stop()`, or after giving up on one. */
  ended: Promise<SupervisionEnd>
  /** Stops every process (SIGTERM, SIGKILL after `graceMs`); none is restarted any more. */
  stop(graceMs?: number): Promise<Array<number | null>>
  /** Stops one process for good, with `signal`: it is not restarted (an outage a test needs). */
  retire(proc: RunningProcess, signal?: NodeJS.Signals): Promise<number | null>
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`
}

/**
 * Watches started processes and restarts one that exits without being asked to, so the others keep
 * serving: after `firstDelayMs`, doubling while it keeps crashing soon after its start, up to
 * `maxDelayMs`. After `maxCrashes` exits within `windowMs` it gives up on that process with one line
 * and stops the whole system: such a process (a bad setting, a port taken, a defect at start-up) needs
 * an operator, and a system quietly running without it is the half system nobody notices.
 */
export function supervise(procs: RunningProcess[], options: SuperviseOptions): Supervisor {
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.policy }
  const { log } = options
  let stopping: Promise<Array<number | null>> | undefined
  let gaveUpOn: string | undefined
  const retired = new Set<RunningProcess>()
  const timers = new Set<NodeJS.Timeout>()
  let resolveEnded: (end: SupervisionEnd) => void = () => {}
  const ended = new Promise<SupervisionEnd>((resolve) => {
    resolveEnded = resolve
  })

  const stop = (graceMs?: number) => {
    if (!stopping) {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      stopping = stopAll(procs, graceMs)
      void stopping.then(() => resolveEnded({ gaveUpOn }))
    }
    return stopping
  }

  const watch = (proc: RunningProcess, crashes: number[], startedAt: number, inARow: number) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (stopping || retired.has(proc)) return
      const now = Date.now()
      const recent = [...crashes.filter((at) => now - at < policy.windowMs), now]
      if (recent.length >= policy.maxCrashes) {
        gaveUpOn = proc.spec.name
        log(
          `${proc.spec.name} ${describeExit(code, signal)}: ${recent.length} exits within ${policy.windowMs / 1000} s, ` +
            'giving up on it and stopping the system',
        )
        void stop()
        return
      }
      const streak = now - startedAt >= policy.windowMs ? 1 : inARow + 1
      const delayMs = Math.min(policy.firstDelayMs * 2 ** (streak - 1), policy.maxDelayMs)
      log(`${proc.spec.name} ${describeExit(code, signal)}; restarting it in ${delayMs} ms (the others keep serving)`)
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (stopping || retired.has(proc)) return
        const next = spawnProcess(proc.spec, proc.index, options)
        proc.child = next.child
        proc.exited = next.exited
        watch(proc, recent, Date.now(), streak)
        waitUntilReady(proc, '/health/live').then(
          () => {
            if (!stopping)
              log(`${proc.spec.name} is back (restart ${recent.length} within ${policy.windowMs / 1000} s)`)
          },
          () => {},
        )
      }, delayMs)
      timers.add(timer)
    }
    const { child } = proc
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode)
    else child.once('exit', onExit)
  }

  const startedAt = Date.now()
  for (const proc of procs) watch(proc, [], startedAt, 0)

  return {
    ended,
    stop,
    async retire(proc, signal = 'SIGTERM') {
      retired.add(proc)
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal)
      return proc.exited
    },
  }
}
