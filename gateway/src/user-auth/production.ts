import { ConfigError, type HttpConfig, type UserAuthConfig } from '@stagepass/kit'

type Settings = Pick<HttpConfig, 'NODE_ENV'> & Pick<UserAuthConfig, 'USER_AUTH' | 'USER_AUTH_OFF_IN_PRODUCTION'>

/**
 * Where NODE_ENV=production, the gateway does not start with user tokens off (unless explicitly
 * allowed): anyone could act as any user. The published development secret is refused with the
 * other development secrets (gatewaySecrets in ../config.ts).
 */
export function refuseUnsafeUserAuthInProduction(config: Settings): void {
  if (config.NODE_ENV !== 'production') return
  if (config.USER_AUTH === 'off' && config.USER_AUTH_OFF_IN_PRODUCTION !== 'allow') {
    throw new ConfigError(
      'invalid configuration: USER_AUTH=off is refused where NODE_ENV=production (any client could act as any user); set USER_AUTH=jwt, or USER_AUTH_OFF_IN_PRODUCTION=allow to accept that',
    )
  }
}
