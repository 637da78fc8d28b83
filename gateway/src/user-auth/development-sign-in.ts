import { Type } from '@sinclair/typebox'
import {
  DEVELOPMENT_USER_TOKEN_SECRET,
  type HttpConfig,
  signUserToken,
  type UserAuthConfig,
  UserId,
  userTokenSecretInUse,
} from '@stagepass/kit'
import type { FastifyInstance } from 'fastify'

/** Where the development sign-in is served (never in the public document). */
export const DEVELOPMENT_SIGN_IN_PATH = '/dev/sign-in'

/** How long a development user token lasts: a working day. */
const TOKEN_TTL_SECONDS = 8 * 3600

type Settings = Pick<HttpConfig, 'NODE_ENV'> &
  Pick<
    UserAuthConfig,
    | 'USER_AUTH'
    | 'USER_TOKEN_JWKS_URL'
    | 'USER_TOKEN_PUBLIC_KEY'
    | 'USER_TOKEN_SECRET'
    | 'USER_TOKEN_ISSUER'
    | 'USER_TOKEN_AUDIENCE'
  >

/**
 * Whether the gateway offers the development sign-in: only with user tokens on, verified with the
 * published development secret, outside production. With a real identity provider (a JWKS URL, a
 * public key or a secret of one's own) there is no such route: the provider signs users in.
 */
export function developmentSignInOffered(config: Settings): boolean {
  return (
    config.NODE_ENV !== 'production' &&
    userTokenSecretInUse(config) &&
    config.USER_TOKEN_SECRET === DEVELOPMENT_USER_TOKEN_SECRET
  )
}

const SignInBody = Type.Object({ userId: UserId }, { additionalProperties: false })

/**
 * `POST /dev/sign-in {userId}` → `{data: {userId, userToken, expiresAt}}`: the development identity
 * provider, so the web app can be tried with user tokens on. Anyone may sign in as anyone with it,
 * as with the development secret itself (which production refuses to start with).
 */
export async function registerDevelopmentSignIn(fastify: FastifyInstance, config: Settings) {
  if (!developmentSignInOffered(config)) return
  fastify.log.warn(`development sign-in at POST ${DEVELOPMENT_SIGN_IN_PATH}: anyone can sign in as any user`)
  fastify.post<{ Body: { userId: number } }>(
    DEVELOPMENT_SIGN_IN_PATH,
    { schema: { hide: true, body: SignInBody } },
    async (request) => {
      const { userId } = request.body
      const userToken = await signUserToken(config, userId, TOKEN_TTL_SECONDS)
      const expiresAt = new Date(Date.now() + TOKEN_TTL_SECONDS * 1000).toISOString()
      return { data: { userId, userToken, expiresAt } }
    },
  )
}
