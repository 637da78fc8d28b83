import { ConfigError, type HttpConfig, type UserAuthConfig } from '@stagepass/kit'
import { usesDevelopmentUserKey } from './warnings.js'

type Settings = Pick<HttpConfig, 'NODE_ENV'> &
  Pick<
    UserAuthConfig,
    'USER_AUTH' | 'USER_AUTH_OFF_IN_PRODUCTION' | 'USER_TOKEN_JWKS_URL' | 'USER_TOKEN_PUBLIC_KEY' | 'USER_TOKEN_SECRET'
  >

/**
 * Where NODE_ENV=production, the gateway does not start with user tokens off (unless explicitly
 * allowed) or with the published development secret: either lets anyone act as any user.
 */
export function refuseUnsafeUserAuthInProduction(config: Settings): void {
  if (config.NODE_ENV !== 'production') return
  if (config.USER_AUTH === 'off' && config.USER_AUTH_OFF_IN_PRODUCTION !== 'allow') {
    throw new ConfigError(
      'invalid configuration: USER_AUTH=off is refused where NODE_ENV=production (any client could act as any user); set USER_AUTH=jwt, or USER_AUTH_OFF_IN_PRODUCTION=allow to accept that',
    )
  }
  if (usesDevelopmentUserKey(config)) {
    throw new ConfigError(
      'invalid configuration: USER_TOKEN_SECRET is the published development secret, refused where NODE_ENV=production; set USER_TOKEN_JWKS_URL, USER_TOKEN_PUBLIC_KEY or a secret of your own',
    )
  }
}
