import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { DEPLOY_DIR } from './apps.js'

export interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string; args?: Record<string, string> }
  profiles?: string[]
  environment?: Record<string, string | number | boolean | null>
  ports?: string[]
  expose?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  container_name?: string
  [key: string]: unknown
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  [key: string]: unknown
}

export const composePath = join(DEPLOY_DIR, 'docker-compose.yml')

/** The compose file as Compose reads it: YAML 1.1 merge keys (`<<`) resolved. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile
}

/**
 * `${NAME:-default}` as Compose resolves it with NAME unset; `$$` is a literal `$`.
 * Anything else with a `$` is refused, so the test sees what a container really receives.
 */
export function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (match, _name, fallback) =>
    match === '$$' ? '$' : (fallback ?? ''),
  )
}
