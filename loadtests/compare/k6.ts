import { type ChildProcess, spawn } from 'node:child_process'
import { compiledK6Script, K6_COMPILED_MODE } from '@stagepass/launcher'

/** A scenario of loadtests/scenarios, as the build compiled it (run with `K6_COMPILED_MODE`). */
export const compiledScenario = (name: string) => compiledK6Script(`scenarios/${name}.js`)

export interface K6Run {
  child: ChildProcess
  /** k6's exit code: 0 passed, 99 thresholds crossed (the summary is still written), other = failure. */
  exited: Promise<number>
}

/** `k6 run --summary-export <summary> -e NAME=value… <compiled script>`, with k6's output on ours. */
export function startK6(bin: string, script: string, summaryPath: string, env: Record<string, string>): K6Run {
  const args = ['run', K6_COMPILED_MODE, '--summary-export', summaryPath]
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
  args.push(script)
  const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
  return { child, exited }
}
