import { DEVELOPMENT_USER_TOKEN_SECRET, type UserAuthConfig } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'

type Settings = Pick<
  UserAuthConfig,
  'USER_AUTH' | 'USER_TOKEN_JWKS_URL' | 'USER_TOKEN_PUBLIC_KEY' | 'USER_TOKEN_SECRET'
>

/** True when user tokens are checked with the published development secret. */
export const usesDevelopmentUserKey = (config: Settings) =>
  config.USER_AUTH === 'jwt' &&
  !config.USER_TOKEN_JWKS_URL &&
  !config.USER_TOKEN_PUBLIC_KEY &&
  config.USER_TOKEN_SECRET === DEVELOPMENT_USER_TOKEN_SECRET

/** Says at start-up, loudly, when anyone may act as any user or forge a user token. */
export function warnAboutUserAuth(log: FastifyBaseLogger, config: Settings) {
  if (config.USER_AUTH === 'off') {
    log.warn(
      'USER_AUTH=off: user tokens are OFF — any client may act as any userId on /points and /queue; set USER_AUTH=jwt for a real sale',
    )
  } else if (usesDevelopmentUserKey(config)) {
    log.warn(
      'USER_AUTH=jwt with the development user-token secret: anyone can mint tokens; set USER_TOKEN_JWKS_URL, USER_TOKEN_PUBLIC_KEY or USER_TOKEN_SECRET',
    )
  }
}
