import { createPublicKey, createSecretKey } from 'node:crypto'
import { type Clock, systemClock, type UserAuthConfig } from '@stagepass/kit'
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'

export type UserTokenRejection = 'USER_TOKEN_MISSING' | 'USER_TOKEN_INVALID' | 'USER_TOKEN_EXPIRED'

/** The verdict on one user token: its user, or why it is refused. */
export type UserTokenCheck = { userId: number; expiresAt: number } | { rejection: UserTokenRejection }

/** The identity provider's keys could not be fetched: the gateway cannot tell, so it answers 503. */
export class IdentityProviderUnavailable extends Error {
  override name = 'IdentityProviderUnavailable'
}

type VerifierConfig = Pick<
  UserAuthConfig,
  'USER_TOKEN_JWKS_URL' | 'USER_TOKEN_PUBLIC_KEY' | 'USER_TOKEN_SECRET' | 'USER_TOKEN_ISSUER' | 'USER_TOKEN_AUDIENCE'
>

// Asymmetric algorithms a provider signs with; jose also refuses a key of the wrong type for an alg.
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const USER_ID = /^[1-9][0-9]{0,15}$/
const CACHE_LIMIT = 50_000

/** Where the verification key comes from: the provider's JWKS, a PEM public key, or the shared secret. */
function verificationKey(config: VerifierConfig, jwksCooldownMs: number) {
  if (config.USER_TOKEN_JWKS_URL) {
    return {
      // Keys are cached; an unknown `kid` refetches the set (at most once per cooldown, so a flood of
      // made-up kids cannot turn into a flood of fetches), so a provider can rotate its keys.
      key: createRemoteJWKSet(new URL(config.USER_TOKEN_JWKS_URL), {
        cooldownDuration: jwksCooldownMs,
        timeoutDuration: 2000,
      }),
      algorithms: PUBLIC_KEY_ALGORITHMS,
    }
  }
  if (config.USER_TOKEN_PUBLIC_KEY) {
    return { key: createPublicKey(config.USER_TOKEN_PUBLIC_KEY), algorithms: PUBLIC_KEY_ALGORITHMS }
  }
  // A key object made once: jose would otherwise import the secret on every verification.
  return { key: createSecretKey(Buffer.from(config.USER_TOKEN_SECRET)), algorithms: ['HS256'] }
}

/**
 * Verifies user tokens (signature, `exp`, `iss`, `aud`, a numeric `sub`) with jose. A verified token
 * is remembered until it expires, so a user polling with the same token is checked once; refusals
 * are never remembered, and the memory is bounded. `exp` is judged by the gateway's `clock`, both
 * by jose and by the memory: a token is good while `now < exp`, to the millisecond in the memory
 * (jose compares whole seconds: `exp` is in seconds).
 */
export function createUserTokenVerifier(
  config: VerifierConfig,
  { jwksCooldownMs = 5000, clock = systemClock }: { jwksCooldownMs?: number; clock?: Clock } = {},
) {
  const { key, algorithms } = verificationKey(config, jwksCooldownMs)
  const options = () => ({
    issuer: config.USER_TOKEN_ISSUER,
    audience: config.USER_TOKEN_AUDIENCE,
    algorithms,
    currentDate: new Date(clock.now()),
  })
  const verified = new Map<string, { userId: number; expiresAt: number }>()

  async function verify(token: string): Promise<UserTokenCheck> {
    try {
      const { payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key as JWTVerifyGetKey, options())
          : await jwtVerify(token, key, options())
      if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub) || typeof payload.exp !== 'number') {
        return { rejection: 'USER_TOKEN_INVALID' }
      }
      const userId = Number(payload.sub)
      if (!Number.isSafeInteger(userId)) return { rejection: 'USER_TOKEN_INVALID' }
      const check = { userId, expiresAt: payload.exp * 1000 }
      if (verified.size >= CACHE_LIMIT) verified.clear()
      verified.set(token, check)
      return check
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { rejection: 'USER_TOKEN_EXPIRED' }
      if (isFetchFailure(err)) throw new IdentityProviderUnavailable()
      return { rejection: 'USER_TOKEN_INVALID' }
    }
  }

  /** A remembered verdict answers without a promise; anything else is verified. */
  return function checkUserToken(token: string): UserTokenCheck | Promise<UserTokenCheck> {
    const known = verified.get(token)
    if (known) {
      if (known.expiresAt > clock.now()) return known
      verified.delete(token)
      return { rejection: 'USER_TOKEN_EXPIRED' }
    }
    return verify(token)
  }
}

/**
 * The JWKS could not be had: a network failure (not a jose error at all), a time-out, or an answer
 * that is not 200 (jose's generic error). Every problem with the token itself is a jose error of its own.
 */
function isFetchFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true
  return err instanceof errors.JWKSTimeout || (err as errors.JOSEError).code === 'ERR_JOSE_GENERIC'
}

export type UserTokenVerifier = ReturnType<typeof createUserTokenVerifier>
