import { type Static, Type } from '@sinclair/typebox'
import { SignJWT } from 'jose'
import { type Clock, systemClock } from './clock.js'
import type { SecretSetting } from './development-secrets.js'

/**
 * User tokens: JWTs from the identity provider, which the gateway verifies on the unguarded routes
 * when USER_AUTH=jwt (`sub` is the userId). These settings are read by the gateway, by the
 * development token command and by the load generators that mint their own tokens.
 */

/** Signs development user tokens: published, so refused where NODE_ENV=production. */
export const DEVELOPMENT_USER_TOKEN_SECRET = 'stagepass-development-user-token-secret'

export const userAuthConfigSchema = {
  USER_AUTH: Type.Union([Type.Literal('off'), Type.Literal('jwt')], {
    default: 'off',
    description: 'off: any client may name any userId (the original contract); jwt: user tokens required',
  }),
  USER_TOKEN_JWKS_URL: Type.String({
    default: '',
    pattern: '^(https?://\\S+)?$',
    description: "The identity provider's JWKS URL (keys cached, refetched on an unknown kid)",
  }),
  USER_TOKEN_PUBLIC_KEY: Type.String({
    default: '',
    description: 'A PEM public key (SPKI) the provider signs with, when there is no JWKS URL',
  }),
  USER_TOKEN_SECRET: Type.String({
    minLength: 32,
    default: DEVELOPMENT_USER_TOKEN_SECRET,
    description: 'HS256 shared secret, used when neither a JWKS URL nor a public key is set',
  }),
  USER_TOKEN_ISSUER: Type.String({ minLength: 1, default: 'stagepass-dev', description: 'Required `iss`' }),
  USER_TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'stagepass', description: 'Required `aud`' }),
  USER_TOKEN_ON_GUARDED: Type.Union([Type.Literal('optional'), Type.Literal('required')], {
    default: 'optional',
    description: 'Guarded routes: whether X-User-Token must accompany the queue token (it must match when sent)',
  }),
  USER_AUTH_OFF_IN_PRODUCTION: Type.Union([Type.Literal('refuse'), Type.Literal('allow')], {
    default: 'refuse',
    description: 'Whether USER_AUTH=off may start where NODE_ENV=production',
  }),
}

const userAuthSchema = Type.Object(userAuthConfigSchema)
export type UserAuthConfig = Static<typeof userAuthSchema>

/** The shared secret, as a secret a process declares (see development-secrets.ts). */
export const userTokenSecret: SecretSetting = {
  variable: 'USER_TOKEN_SECRET',
  developmentValues: [DEVELOPMENT_USER_TOKEN_SECRET],
}

/** The shared secret verifies user tokens only when they are on and no provider key is configured. */
export const userTokenSecretInUse = (
  config: Pick<UserAuthConfig, 'USER_AUTH' | 'USER_TOKEN_JWKS_URL' | 'USER_TOKEN_PUBLIC_KEY'>,
) => config.USER_AUTH === 'jwt' && !config.USER_TOKEN_JWKS_URL && !config.USER_TOKEN_PUBLIC_KEY

/** The key settings a gateway has when none are set: development tokens, for tests and benchmarks. */
export const DEVELOPMENT_USER_TOKENS = {
  USER_TOKEN_JWKS_URL: '',
  USER_TOKEN_PUBLIC_KEY: '',
  USER_TOKEN_SECRET: DEVELOPMENT_USER_TOKEN_SECRET,
  USER_TOKEN_ISSUER: userAuthConfigSchema.USER_TOKEN_ISSUER.default,
  USER_TOKEN_AUDIENCE: userAuthConfigSchema.USER_TOKEN_AUDIENCE.default,
}

/**
 * A user token signed with the shared secret, as the development identity provider would issue it:
 * for `npm run user-token`, the benchmark and the tests. A real provider signs its own. Issued at
 * `clock`'s now, in whole seconds as JWTs count.
 */
export function signUserToken(
  config: Pick<UserAuthConfig, 'USER_TOKEN_SECRET' | 'USER_TOKEN_ISSUER' | 'USER_TOKEN_AUDIENCE'>,
  userId: number,
  ttlSeconds = 3600,
  clock: Clock = systemClock,
): Promise<string> {
  const issuedAt = Math.floor(clock.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuer(config.USER_TOKEN_ISSUER)
    .setAudience(config.USER_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(new TextEncoder().encode(config.USER_TOKEN_SECRET))
}
