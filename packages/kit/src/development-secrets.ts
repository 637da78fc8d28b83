import { ConfigError } from './config-error.js'

/**
 * A secret a process reads, declared next to the variable: the values published in this repository
 * (the development defaults) are refused where NODE_ENV=production and warned about elsewhere.
 */
export interface SecretSetting {
  /** The environment variable that holds it. */
  variable: string
  /** Published values: the development default ('' when an empty value is the default). */
  developmentValues: readonly string[]
  /** The secrets a value holds when it holds several (a key list); by default the value itself. */
  secretsOf?: (value: string) => string[]
}

/** The secrets of a `kid:secret,…` key list (queue token keys, signing keys). */
export const keyListSecrets = (value: string) => value.split(',').map((entry) => entry.slice(entry.indexOf(':') + 1))

/** The password of a `redis://user:password@host` URL ('' without one, or when it is not a URL). */
export function urlPassword(value: string): string[] {
  try {
    return [decodeURIComponent(new URL(value).password)]
  } catch {
    return ['']
  }
}

/**
 * Values an operator was meant to replace: the deploy files' `replace-me`, the usual `changeme`,
 * an `<angle-bracketed hint>` copied from documentation, and words nobody should use as a secret.
 */
const PLACEHOLDER = /replace[-_ ]?me|change[-_ ]?me|placeholder|<[^>]*>/i
const WEAK = /^(password|secret|admin|root|test|example|default|stagepass|x+)$/i

export const isPlaceholderSecret = (secret: string) => PLACEHOLDER.test(secret) || WEAK.test(secret)

/** What is wrong with each declared secret `config` holds, one phrase per variable; none when all are real. */
export function developmentSecretsIn(config: Record<string, unknown>, secrets: readonly SecretSetting[]): string[] {
  const problems: string[] = []
  for (const { variable, developmentValues, secretsOf } of secrets) {
    const value = String(config[variable] ?? '')
    const held = secretsOf ? secretsOf(value) : [value]
    const several = held.length > 1 || secretsOf !== undefined
    const published = held.find((secret) => developmentValues.includes(secret))
    if (published === '') problems.push(several ? `${variable} has an empty secret` : `${variable} is empty`)
    else if (published !== undefined) {
      problems.push(`${variable} ${several ? 'holds' : 'is'} the published development secret`)
    } else if (held.some((secret) => secret !== '' && isPlaceholderSecret(secret))) {
      problems.push(`${variable} ${several ? 'holds' : 'is'} a placeholder, not a secret`)
    }
  }
  return problems
}

/**
 * Where NODE_ENV=production, a process does not start with a development secret, an empty one that
 * must be set, or a placeholder: one line naming every such variable.
 */
export function refuseDevelopmentSecretsInProduction(
  config: { NODE_ENV: string } & Record<string, unknown>,
  secrets: readonly SecretSetting[],
): void {
  if (config.NODE_ENV !== 'production') return
  const problems = developmentSecretsIn(config, secrets)
  if (problems.length === 0) return
  throw new ConfigError(
    `invalid configuration: ${problems.join('; ')} — refused where NODE_ENV=production; set a secret of your own`,
  )
}

/** Says at start-up, once per variable, which development secrets a process runs with. */
export function warnAboutDevelopmentSecrets(
  log: { warn: (message: string) => void },
  config: Record<string, unknown>,
  secrets: readonly SecretSetting[],
): void {
  for (const problem of developmentSecretsIn(config, secrets)) {
    log.warn(`${problem}: anyone who knows it gets what it guards; set your own (refused where NODE_ENV=production)`)
  }
}
