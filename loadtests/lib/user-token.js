// @ts-check
/**
 * User tokens signed here, as the development identity provider signs them (the kit's
 * `signUserToken`): HS256 JWTs with `sub` = userId and the system's issuer and audience. Each VU
 * signs a user's token once and keeps it until it is about to run out.
 */
import crypto from 'k6/crypto'
import encoding from 'k6/encoding'
import { USER_TOKEN_AUDIENCE, USER_TOKEN_ISSUER, USER_TOKEN_SECRET } from './config.js'

/** How long a token is valid (seconds); one is signed anew a minute before it runs out. */
const TTL_SECONDS = 3600
const RENEW_SECONDS = 60
/** Users whose tokens a VU keeps: a stream of new users (one per iteration) must not grow it forever. */
const KEPT = 1000

const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl')

/**
 * A token for `userId`, valid for `ttlSeconds` from `now` (seconds since the epoch).
 * @param {number} userId
 * @param {{ now?: number, ttlSeconds?: number, secret?: string, issuer?: string, audience?: string }} [options]
 */
export function signUserToken(userId, options = {}) {
  const now = options.now === undefined ? Math.floor(Date.now() / 1000) : options.now
  const claims = {
    sub: String(userId),
    iss: options.issuer || USER_TOKEN_ISSUER,
    aud: options.audience || USER_TOKEN_AUDIENCE,
    iat: now,
    exp: now + (options.ttlSeconds || TTL_SECONDS),
  }
  const signed = `${header}.${encoding.b64encode(JSON.stringify(claims), 'rawurl')}`
  return `${signed}.${crypto.hmac('sha256', options.secret || USER_TOKEN_SECRET, signed, 'base64rawurl')}`
}

/** @type {Map<number, { token: string, expiresAt: number }>} */
const kept = new Map()

/**
 * This VU's token for `userId`: signed on first use and again shortly before it expires.
 * @param {number} userId
 */
export function userToken(userId) {
  const now = Math.floor(Date.now() / 1000)
  const known = kept.get(userId)
  if (known && known.expiresAt - now > RENEW_SECONDS) return known.token
  if (!known && kept.size >= KEPT) {
    const oldest = kept.keys().next()
    if (!oldest.done) kept.delete(oldest.value)
  }
  const token = signUserToken(userId, { now })
  kept.set(userId, { token, expiresAt: now + TTL_SECONDS })
  return token
}
