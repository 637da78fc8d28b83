import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The k6 binary: $K6_BIN, or `k6` on the PATH, or the first of `fallbacks` that exists. */
export function findK6(env: NodeJS.ProcessEnv = process.env, fallbacks: string[] = []): string | undefined {
  if (env.K6_BIN) return existsSync(env.K6_BIN) ? env.K6_BIN : undefined
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'k6'))) return join(dir, 'k6')
  }
  return fallbacks.find((path) => existsSync(path))
}

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
