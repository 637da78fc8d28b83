#!/usr/bin/env node
import { ConfigError } from '@stagepass/kit'
import { bench } from './commands/bench.js'
import { faults } from './commands/faults.js'
import { jobs } from './commands/jobs.js'
import { start } from './commands/start.js'
import { test } from './commands/test.js'
import { userToken } from './commands/user-token.js'
import { PreflightError } from './preflight.js'

const usage =
  'usage: stagepass start split|monolith | test [files…] | bench [--duration s] [--runs n] [--connections n] [--only suites] | faults [--vus n] [--seconds s] [--only faults] [--verbose] | user-token <userId> | jobs failed [queue…] | jobs replay <queue> [jobId…]'

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start': {
      const mode = rest[0] ?? 'split'
      if (mode !== 'split' && mode !== 'monolith') throw new ConfigError(`unknown mode "${mode}"; ${usage}`)
      return start(mode)
    }
    case 'test':
      return test(rest)
    case 'bench':
      return bench(rest)
    case 'faults':
      return faults(rest)
    case 'user-token':
      return userToken(rest)
    case 'jobs':
      return jobs(rest)
    default:
      process.stderr.write(`${usage}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof PreflightError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`${(err as Error).stack ?? err}\n`)
    process.exit(1)
  },
)
