#!/usr/bin/env node
/**
 * The one-shot step a deployment runs before its apps start (the compose `migrate` service, the
 * Kubernetes `stagepass-migrate` Job): the same preparation `npm start` does — create the database
 * when missing, migrate it (Kysely's migrator takes a lock, so a rerun or a race is harmless) and
 * load the demo catalog into an empty one.
 */
import { loadLauncherConfig, prepareDatabase } from '@stagepass/launcher'

try {
  const config = loadLauncherConfig()
  await prepareDatabase(config, (line) => process.stdout.write(`${line}\n`))
  process.exit(0)
} catch (err) {
  // A bad variable is one line naming it; anything else gets its stack.
  const { name, message, stack } = err as Error
  process.stderr.write(`${name === 'ConfigError' ? message : (stack ?? err)}\n`)
  process.exit(1)
}
