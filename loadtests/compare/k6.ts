import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fromRoot } from '@stagepass/launcher'

/**
 * The k6 scripts as the build compiled them to CommonJS (loadtests/tsconfig.k6-commonjs.json). k6
 * v0.49 runs an ES module only after transpiling it and its imports with Babel: seconds of CPU per
 * run, which a measurement would count as k6's. It runs these as they are (`--compatibility-mode=base`).
 */
export const COMPILED_K6 = fromRoot('loadtests', 'dist', 'k6')

/** A scenario of loadtests/scenarios, compiled. */
export const compiledScenario = (name: string) => join(COMPILED_K6, 'scenarios', `${name}.js`)

/** k6's option for a compiled script (CommonJS, nothing to transpile). */
export const COMPILED_MODE = '--compatibility-mode=base'

export interface K6Run {
  child: ChildProcess
  /** k6's exit code: 0 passed, 99 thresholds crossed (the summary is still written), other = failure. */
  exited: Promise<number>
}

/** `k6 run --summary-export <summary> -e NAME=value… <compiled script>`, with k6's output on ours. */
export function startK6(bin: string, script: string, summaryPath: string, env: Record<string, string>): K6Run {
  const args = ['run', COMPILED_MODE, '--summary-export', summaryPath]
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
  args.push(script)
  const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
  return { child, exited }
}
