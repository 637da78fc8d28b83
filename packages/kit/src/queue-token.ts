import { createHmac, timingSafeEqual } from 'node:crypto'
import createError from '@fastify/error'
import { type ErrorBody, errorBody } from './error-handler.js'
import { refusalsByStatus } from './schemas.js'

/**
 * Queue tokens: `q1.<kid>.<userId>.<tokenId>.<signature>`, the signature being HMAC-SHA256 over
 * everything before it, base64url. The queue service signs them; the gateway verifies them in
 * process, so a forged or altered token is refused without any I/O. `tokenId` is the user's place
 * sequence, so a token issued again after an expiry or a revocation differs from the old one.
 */

const MESSAGES = {
  TOKEN_MISSING: 'a queue token is required: Authorization: Bearer <token>',
  TOKEN_INVALID: 'the queue token is not valid',
  TOKEN_EXPIRED: 'the queue token has expired',
  TOKEN_REVOKED: 'the queue token was revoked: its user has paid and holds no other seat',
  TOKEN_NOT_ACTIVE: 'the queue token is still waiting in line (%s ahead)',
  QUEUE_UNAVAILABLE: 'the waiting room is unavailable',
} as const
const STATUSES = {
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  TOKEN_NOT_ACTIVE: 403,
  QUEUE_UNAVAILABLE: 503,
}

export type QueueTokenRejection = keyof typeof MESSAGES

/** What a guarded route can answer about its queue token, by status (the public document lists them). */
export const QUEUE_TOKEN_REFUSALS = refusalsByStatus(STATUSES)

export const TokenMissingError = createError('TOKEN_MISSING', MESSAGES.TOKEN_MISSING, 401)
export const TokenInvalidError = createError('TOKEN_INVALID', MESSAGES.TOKEN_INVALID, 401)
export const TokenExpiredError = createError('TOKEN_EXPIRED', MESSAGES.TOKEN_EXPIRED, 401)
export const TokenRevokedError = createError('TOKEN_REVOKED', MESSAGES.TOKEN_REVOKED, 401)
export const TokenNotActiveError = createError('TOKEN_NOT_ACTIVE', MESSAGES.TOKEN_NOT_ACTIVE, 403)
export const QueueUnavailableError = createError('QUEUE_UNAVAILABLE', MESSAGES.QUEUE_UNAVAILABLE, 503)

/**
 * The error body of a refused token, the same as the errors above produce, for a hot path that
 * answers directly instead of throwing (the gateway's guard).
 */
export function queueTokenRejection(code: QueueTokenRejection, queueOrder = 0): ErrorBody {
  return errorBody(STATUSES[code], code, MESSAGES[code].replace('%s', String(queueOrder)))
}

export interface QueueTokenKey {
  kid: string
  secret: string
}

export interface QueueTokenClaims {
  kid: string
  userId: number
  tokenId: number
}

const VERSION = 'q1'
const KID = '[A-Za-z0-9_-]{1,16}'
const POSITIVE = '[1-9][0-9]{0,15}'
const TOKEN = new RegExp(`^${VERSION}\\.(${KID})\\.(${POSITIVE})\\.(${POSITIVE})\\.([A-Za-z0-9_-]{43})$`)
const MAX_TOKEN_LENGTH = 128

/**
 * A list of HMAC keys, `kid:secret,kid:secret…` (secrets of at least 16 characters): the first key
 * signs, every listed key verifies, so a key is rotated by prepending the new one. The queue token
 * keys and the service assertion keys share this format.
 */
export const SIGNING_KEYS_PATTERN = `^${KID}:[^,\\s]{16,}(,${KID}:[^,\\s]{16,})*$`

/** `QUEUE_TOKEN_KEYS`: `kid:secret,kid:secret…`; the first key signs, every listed key verifies. */
export const QUEUE_TOKEN_KEYS_PATTERN = SIGNING_KEYS_PATTERN

export function parseSigningKeys(spec: string, what: string): QueueTokenKey[] {
  const keys = spec.split(',').map((entry) => {
    const colon = entry.indexOf(':')
    return { kid: entry.slice(0, colon), secret: entry.slice(colon + 1) }
  })
  if (!keys.length || keys.some((k) => !new RegExp(`^${KID}$`).test(k.kid) || k.secret.length < 16)) {
    throw new Error(`${what} keys must be "kid:secret" pairs, secrets of at least 16 characters`)
  }
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error(`${what} key ids must be unique`)
  return keys
}

export const parseQueueTokenKeys = (spec: string): QueueTokenKey[] => parseSigningKeys(spec, 'queue token')

export interface QueueTokenSigner {
  sign(userId: number, tokenId: number): string
  /** The token's claims when its signature checks out under a listed key; undefined otherwise. */
  verify(token: string): QueueTokenClaims | undefined
}

export function createQueueTokenSigner(keys: readonly QueueTokenKey[]): QueueTokenSigner {
  const [signing] = keys
  if (!signing) throw new Error('at least one queue token key is required')
  const secrets = new Map(keys.map((k) => [k.kid, k.secret]))
  const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest()

  return {
    sign(userId, tokenId) {
      const payload = `${VERSION}.${signing.kid}.${userId}.${tokenId}`
      return `${payload}.${mac(signing.secret, payload).toString('base64url')}`
    },
    verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return undefined
      const match = TOKEN.exec(token)
      if (!match) return undefined
      const [, kid = '', user = '', id = '', signature = ''] = match
      const secret = secrets.get(kid)
      if (secret === undefined) return undefined
      const given = Buffer.from(signature, 'base64url')
      const expected = mac(secret, token.slice(0, token.length - signature.length - 1))
      // 43 base64url characters carry 258 bits; the canonical form must round-trip exactly.
      if (given.length !== expected.length || given.toString('base64url') !== signature) return undefined
      if (!timingSafeEqual(given, expected)) return undefined
      const userId = Number(user)
      const tokenId = Number(id)
      if (!Number.isSafeInteger(userId) || !Number.isSafeInteger(tokenId)) return undefined
      return { kid, userId, tokenId }
    },
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header. Missing, another scheme or an empty
 * token is `undefined` (TOKEN_MISSING); anything else is for the signer to judge.
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined
  const token = header.slice(space + 1).trim()
  return token === '' ? undefined : token
}
