import type { UserAuthConfig } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Says at start-up, loudly, when anyone may act as any user. A development user-token secret is
 * warned about with the other development secrets (createServer's `secrets`).
 */
export function warnAboutUserAuth(log: FastifyBaseLogger, config: Pick<UserAuthConfig, 'USER_AUTH'>) {
  if (config.USER_AUTH === 'off') {
    log.warn(
      'USER_AUTH=off: user tokens are OFF — any client may act as any userId on /points and /queue; set USER_AUTH=jwt for a real sale',
    )
  }
}
