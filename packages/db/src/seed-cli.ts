#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { Type } from '@sinclair/typebox'
import { ConfigError, loadConfig, nodeEnvConfigSchema } from '@stagepass/kit'
import { mysqlConfigSchema, mysqlSecrets } from './config.js'
import { createDb, ensureDatabase, migrateToLatest } from './mysql.js'
import { CatalogNotEmptyError, checkDemoDataSize, DEFAULT_DEMO_DATA, type DemoDataSize, seedDemoData } from './seed.js'

const usage = `usage: node packages/db/dist/src/seed-cli.js [--concerts N] [--options N] [--seats N]

Loads demo concerts into an empty catalog (the database named by MYSQL_DATABASE, created and
migrated when missing). Defaults: --concerts ${DEFAULT_DEMO_DATA.concerts} --options ${DEFAULT_DEMO_DATA.optionsPerConcert} --seats ${DEFAULT_DEMO_DATA.seatsPerOption}
(options per concert, seats per option). Concert 1 / option 1 always has 100 seats.
`

class UsageError extends Error {}

function count(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  if (!/^[0-9]+$/.test(raw)) throw new UsageError(`--${flag} must be a positive integer, got "${raw}"`)
  return Number(raw)
}

function parseSize(argv: string[]): DemoDataSize | 'help' {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        concerts: { type: 'string' },
        options: { type: 'string' },
        seats: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) return 'help'
  const size = {
    concerts: count('concerts', values.concerts as string | undefined, DEFAULT_DEMO_DATA.concerts),
    optionsPerConcert: count('options', values.options as string | undefined, DEFAULT_DEMO_DATA.optionsPerConcert),
    seatsPerOption: count('seats', values.seats as string | undefined, DEFAULT_DEMO_DATA.seatsPerOption),
  }
  try {
    checkDemoDataSize(size)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return size
}

async function main(argv: string[]): Promise<number> {
  const size = parseSize(argv)
  if (size === 'help') {
    process.stdout.write(usage)
    return 0
  }
  const config = loadConfig(Type.Object({ ...nodeEnvConfigSchema, ...mysqlConfigSchema }), process.env, mysqlSecrets)
  await ensureDatabase(config)
  const db = createDb({ ...config, MYSQL_POOL_SIZE: 2 })
  try {
    await migrateToLatest(db)
    const started = performance.now()
    const summary = await seedDemoData(db, size)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    process.stdout.write(
      `${config.MYSQL_DATABASE}: loaded ${summary.concerts} concerts, ${summary.options} performances, ${summary.seats} seats in ${seconds} s\n`,
    )
    return 0
  } finally {
    await db.destroy()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage}`)
      process.exit(2)
    }
    if (err instanceof CatalogNotEmptyError) {
      process.stderr.write(`${err.message}: demo data is only loaded into an empty catalog\n`)
      process.exit(1)
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`${(err as Error).stack ?? err}\n`)
    process.exit(1)
  },
)
