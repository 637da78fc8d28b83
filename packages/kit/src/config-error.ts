/** Raised when the environment does not satisfy a process's config schema. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
