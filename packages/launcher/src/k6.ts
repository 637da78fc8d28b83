import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fromRoot } from './paths.js'

/** Where CI and the team keep a k6 beside the repository (`../shared/tools/k6`). */
export const SHARED_K6 = fromRoot('..', 'shared', 'tools', 'k6')

/** The k6 binary: $K6_BIN, or `k6` on the PATH, or the first of `fallbacks` that exists. */
export function findK6(env: NodeJS.ProcessEnv = process.env, fallbacks: string[] = []): string | undefined {
  if (env.K6_BIN) return existsSync(env.K6_BIN) ? env.K6_BIN : undefined
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'k6'))) return join(dir, 'k6')
  }
  return fallbacks.find((path) => existsSync(path))
}

/** The k6 binary: $K6_BIN, `k6` on the PATH, else ../shared/tools/k6; an error that says how to get one. */
export function k6Binary(): string {
  const found = findK6(process.env, [SHARED_K6])
  if (found) return found
  const where = process.env.K6_BIN
    ? `K6_BIN is ${process.env.K6_BIN}, which does not exist`
    : `not on the PATH, K6_BIN unset, and no ${SHARED_K6}`
  throw new Error(
    `k6 is not installed: ${where}. ` +
      'The load-test scenarios are run with the real k6 (v0.49 or later): install it ' +
      '(https://grafana.com/docs/k6/latest/set-up/install-k6/), put it on the PATH, or set K6_BIN to its path.',
  )
}

/**
 * The load-test scripts as the build compiled them to CommonJS (loadtests/tsconfig.k6-commonjs.json).
 * k6 v0.49 runs an ES module only after transpiling it and its imports with Babel, 2–3.5 s of CPU per
 * run (which a measurement would count as k6's); it runs these as they are, with `K6_COMPILED_MODE`.
 */
export const COMPILED_K6 = fromRoot('loadtests', 'dist', 'k6')

/** The compiled counterpart of a script under loadtests/ (`scenarios/payment.js`, `faults/sale.js`). */
export const compiledK6Script = (path: string) => join(COMPILED_K6, path)

/** k6's option for a compiled script: CommonJS, nothing to transpile. */
export const K6_COMPILED_MODE = '--compatibility-mode=base'
