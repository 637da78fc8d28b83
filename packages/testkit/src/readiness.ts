import type { RunningProcess } from '@stagepass/launcher'

/** True when a process answers its readiness probe (its operations port's `/health/ready`) with 200. */
export async function readyOnOperationsPort(proc: RunningProcess): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${proc.spec.opsPort}/health/ready`)
    await res.body?.cancel()
    return res.status === 200
  } catch {
    return false
  }
}
