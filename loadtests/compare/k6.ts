import { type ChildProcess, spawn } from 'node:child_process'

export interface K6Run {
  child: ChildProcess
  /** k6's exit code: 0 passed, 99 thresholds crossed (the summary is still written), other = failure. */
  exited: Promise<number>
}

/** `k6 run --summary-export <summary> -e NAME=value… <script>`, with k6's output on ours. */
export function startK6(bin: string, script: string, summaryPath: string, env: Record<string, string>): K6Run {
  const args = ['run', '--summary-export', summaryPath]
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
  args.push(script)
  const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
  return { child, exited }
}
