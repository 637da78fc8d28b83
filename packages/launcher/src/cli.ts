#!/usr/bin/env node
import { ConfigError } from '@stagepass/kit'
import { PreflightError } from './preflight.js'

const usage =
  'usage: stagepass start split|monolith | test [files…] | bench [--duration s] [--runs n] [--connections n] [--only suites] | faults [--vus n] [--seconds s] [--only faults] [--verbose] | user-token <userId> | jobs failed [queue…] | jobs replay <queue> [jobId…]'

/** Each command is loaded when asked for: `user-token` need not load what `faults` runs (half its start-up). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start': {
      const mode = rest[0] ?? 'split'
      if (mode !== 'split' && mode !== 'monolith') throw new ConfigError(`unknown mode "${mode}"; ${usage}`)
      return (await import('./commands/start.js')).start(mode)
    }
    case 'test':
      return (await import('./commands/test.js')).test(rest)
    case 'bench':
      return (await import('./commands/bench.js')).bench(rest)
    case 'faults':
      return (await import('./commands/faults.js')).faults(rest)
    case 'user-token':
      return (await import('./commands/user-token.js')).userToken(rest)
    case 'jobs':
      return (await import('./commands/jobs.js')).jobs(rest)
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
