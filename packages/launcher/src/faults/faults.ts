import { type RunningProcess, waitUntilReady } from '../processes.js'
import type { FaultSystem } from './system.js'

/** How long MySQL is unreachable. */
export const MYSQL_OUTAGE_MS = 5000

export interface Fault {
  name: string
  /** What is done, for the report. */
  what: string
  /** Does it, and settles once the system has recovered: every process it touched is ready again. */
  inject(system: FaultSystem, log: (line: string) => void): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function processNamed(system: FaultSystem, name: string): RunningProcess {
  const proc = system.processes.find((p) => p.spec.name === name)
  if (!proc) throw new Error(`no process named ${name}`)
  return proc
}

/** Sends `signal` to a process and waits until the launcher has restarted it and it is ready. */
async function bounce(proc: RunningProcess, signal: NodeJS.Signals): Promise<void> {
  const { child } = proc
  child.kill(signal)
  await proc.exited
  const deadline = Date.now() + 60_000
  while (proc.child === child) {
    if (Date.now() > deadline) throw new Error(`${proc.spec.name} was not restarted within 60 s`)
    await sleep(50)
  }
  await waitUntilReady(proc, '/health/ready', { timeoutMs: 60_000 })
}

/** Every process ready again (after an outage of a store they all use). */
const allReady = (system: FaultSystem) =>
  Promise.all(system.processes.map((p) => waitUntilReady(p, '/health/ready', { timeoutMs: 60_000 })))

const killOne = (name: string, of: string): Fault => ({
  name: `kill-${of}`,
  what: `SIGKILL ${name} (one of two ${of} instances)`,
  inject: (system) => bounce(processNamed(system, name), 'SIGKILL'),
})

/** The faults, in the order the suite injects them. */
export const FAULTS: Fault[] = [
  killOne('booking-1', 'booking'),
  killOne('queue-1', 'queue'),
  killOne('gateway-1', 'gateway'),
  {
    name: 'restart-redis',
    what: 'restart Redis (SIGTERM, start again on the same port and files)',
    async inject(system) {
      await system.redis.restart()
      await allReady(system)
    },
  },
  {
    name: 'mysql-outage',
    what: `MySQL unreachable for ${MYSQL_OUTAGE_MS / 1000} s (every connection cut, new ones refused)`,
    async inject(system) {
      await system.mysql.disable()
      // The outage is the experiment: it lasts this long, whatever the system does meanwhile.
      await sleep(MYSQL_OUTAGE_MS)
      await system.mysql.enable()
      await allReady(system)
    },
  },
  {
    name: 'rolling-restart',
    what: 'SIGTERM every process one by one, each back and ready before the next, as a deploy does',
    async inject(system, log) {
      for (const proc of system.processes) {
        log(`rolling ${proc.spec.name}`)
        await bounce(proc, 'SIGTERM')
      }
    },
  },
]

export const FAULT_NAMES = FAULTS.map((f) => f.name)
