import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { keyListSecrets, type SecretSetting } from './development-secrets.js'
import { parseSigningKeys, type QueueTokenKey, SIGNING_KEYS_PATTERN } from './queue-token.js'
import { QUEUE_USER_HEADER } from './queue-user.js'
import { USER_HEADER } from './user-identity.js'

/**
 * Service assertions: who sent a request inside the system, for what, as whom. The split gateway
 * signs every request it passes on to a context, and booking signs its calls to point's internal
 * routes; the receiver verifies before anything else runs. An assertion is
 * `s1.<caller>.<kid>.<exp>.<signature>`, the signature being HMAC-SHA256 (base64url) over that
 * prefix, the audience (the receiving context), the method, the path with its query, the identity
 * headers' values (or their absence) and, for calls that bind their body, the body's SHA-256. It
 * lives SERVICE_ASSERTION_TTL_SECONDS, so a captured one cannot be kept for later, and it cannot be
 * moved to another path, user, context or body. The monolith has no network hop and signs nothing.
 */
export const SERVICE_ASSERTION_HEADER = 'x-service-assertion'

/** The headers that name a user inside the system: an assertion binds their values. */
export const IDENTITY_HEADERS = [QUEUE_USER_HEADER, USER_HEADER] as const

export const SERVICE_CALLERS = ['gateway', 'booking'] as const
export type ServiceCaller = (typeof SERVICE_CALLERS)[number]

/** How long an assertion is accepted after it is signed (seconds). */
export const SERVICE_ASSERTION_TTL_SECONDS = 10

/** Published development keys: refused where NODE_ENV=production. */
export const DEVELOPMENT_GATEWAY_ASSERTION_KEYS = 'dev:stagepass-development-gateway-assertion-key'
export const DEVELOPMENT_BOOKING_ASSERTION_KEYS = 'dev:stagepass-development-booking-assertion-key'

export const gatewayAssertionKeysField = {
  GATEWAY_ASSERTION_KEYS: Type.String({
    pattern: SIGNING_KEYS_PATTERN,
    default: DEVELOPMENT_GATEWAY_ASSERTION_KEYS,
    description:
      'Keys the split gateway signs the requests it passes on with, kid:secret,… (first signs, all verify); every context verifies them',
  }),
}

export const bookingAssertionKeysField = {
  BOOKING_ASSERTION_KEYS: Type.String({
    pattern: SIGNING_KEYS_PATTERN,
    default: DEVELOPMENT_BOOKING_ASSERTION_KEYS,
    description:
      "Keys booking signs its calls to point's internal routes with, kid:secret,… (first signs, all verify); point verifies them",
  }),
}

/** The k8s local overlay's keys: published in this repository, so refused in production too. */
const LOCAL_OVERLAY_GATEWAY_ASSERTION_KEYS = 'local:stagepass-local-gateway-assertion-key'
const LOCAL_OVERLAY_BOOKING_ASSERTION_KEYS = 'local:stagepass-local-booking-assertion-key'

export const gatewayAssertionKeysSecret: SecretSetting = {
  variable: 'GATEWAY_ASSERTION_KEYS',
  developmentValues: keyListSecrets(`${DEVELOPMENT_GATEWAY_ASSERTION_KEYS},${LOCAL_OVERLAY_GATEWAY_ASSERTION_KEYS}`),
  secretsOf: keyListSecrets,
}

export const bookingAssertionKeysSecret: SecretSetting = {
  variable: 'BOOKING_ASSERTION_KEYS',
  developmentValues: keyListSecrets(`${DEVELOPMENT_BOOKING_ASSERTION_KEYS},${LOCAL_OVERLAY_BOOKING_ASSERTION_KEYS}`),
  secretsOf: keyListSecrets,
}

export const parseAssertionKeys = (spec: string): QueueTokenKey[] => parseSigningKeys(spec, 'service assertion')

/** What an assertion is bound to. */
export interface AssertedRequest {
  /** The receiving context: `point`, `concert`, `queue`, `booking`. */
  audience: string
  method: string
  /** Path and query as the caller sends them (compared in canonical form). */
  url: string
  /** The request's headers; only IDENTITY_HEADERS are read. */
  headers: Record<string, unknown>
  /** `bodyHash(body)` for a call that binds its body; undefined for one that does not. */
  bodyHash?: string | undefined
}

export type ServiceAssertionRejection =
  | 'SERVICE_ASSERTION_MISSING'
  | 'SERVICE_ASSERTION_INVALID'
  | 'SERVICE_ASSERTION_EXPIRED'

export type ServiceAssertionCheck = { caller: ServiceCaller } | { rejection: ServiceAssertionRejection }

/** SHA-256 of a request body, base64url, as a body-binding assertion carries it. */
export function bodyHash(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('base64url')
}

export const EMPTY_BODY_HASH = bodyHash('')

const PLAIN_PATH = /^(\/[A-Za-z0-9_:-]+)+$/

/**
 * The path and query in one form whatever the proxy did on the way: the path as the WHATWG URL
 * parser normalises it, the query's pairs decoded and sorted. A proxy may re-encode either.
 */
export function canonicalTarget(url: string): string {
  // A plain path (the common case) is its own canonical form: no parsing.
  if (PLAIN_PATH.test(url)) return url
  const parsed = new URL(url, 'http://target.invalid')
  if (parsed.search === '') return parsed.pathname
  parsed.searchParams.sort()
  return `${parsed.pathname}?${parsed.searchParams.toString()}`
}

function claimed(request: AssertedRequest): string {
  const identity = IDENTITY_HEADERS.map((name) => {
    const value = request.headers[name]
    return typeof value === 'string' ? value : ''
  })
  return [
    request.audience,
    request.method.toUpperCase(),
    canonicalTarget(request.url),
    ...identity,
    request.bodyHash ?? '',
  ].join('\n')
}

const VERSION = 's1'
const ASSERTION = new RegExp(
  `^${VERSION}\\.(${SERVICE_CALLERS.join('|')})\\.([A-Za-z0-9_-]{1,16})\\.([1-9][0-9]{0,11})\\.([A-Za-z0-9_-]{43})$`,
)
const MAX_ASSERTION_LENGTH = 128
// Secrets become key objects once: creating the HMAC is then the only per-request setup.
const mac = (key: KeyObject, prefix: string, request: AssertedRequest) =>
  createHmac('sha256', key).update(prefix).update('\n').update(claimed(request)).digest()

export interface ServiceAssertionSigner {
  /** The SERVICE_ASSERTION_HEADER value for this request. */
  sign(request: AssertedRequest): string
}

export function createServiceAssertionSigner({
  caller,
  keys,
  ttlSeconds = SERVICE_ASSERTION_TTL_SECONDS,
  now = Date.now,
}: {
  caller: ServiceCaller
  keys: readonly QueueTokenKey[]
  ttlSeconds?: number
  now?: () => number
}): ServiceAssertionSigner {
  const [signing] = keys
  if (!signing) throw new Error('at least one service assertion key is required')
  const key = createSecretKey(Buffer.from(signing.secret))
  return {
    sign(request) {
      const exp = Math.floor(now() / 1000) + ttlSeconds
      const prefix = `${VERSION}.${caller}.${signing.kid}.${exp}`
      return `${prefix}.${mac(key, prefix, request).toString('base64url')}`
    },
  }
}

/**
 * A caller's signer with the keys the environment gives it (GATEWAY_ASSERTION_KEYS,
 * BOOKING_ASSERTION_KEYS) or the development ones: for tests and load generators that call a
 * context directly, as the system's processes started from the same environment would.
 */
export function signerFromEnv(
  caller: ServiceCaller,
  { env = process.env, ttlSeconds }: { env?: NodeJS.ProcessEnv; ttlSeconds?: number } = {},
): ServiceAssertionSigner {
  const spec =
    caller === 'gateway'
      ? env.GATEWAY_ASSERTION_KEYS || DEVELOPMENT_GATEWAY_ASSERTION_KEYS
      : env.BOOKING_ASSERTION_KEYS || DEVELOPMENT_BOOKING_ASSERTION_KEYS
  return createServiceAssertionSigner({ caller, keys: parseAssertionKeys(spec), ttlSeconds })
}

export interface ServiceAssertionVerifier {
  verify(assertion: unknown, request: AssertedRequest): ServiceAssertionCheck
}

/** Verifies assertions from the callers whose keys it is given (a caller without keys is unknown). */
export function createServiceAssertionVerifier(
  callers: Partial<Record<ServiceCaller, readonly QueueTokenKey[]>>,
  now: () => number = Date.now,
): ServiceAssertionVerifier {
  const secrets = new Map<string, KeyObject>()
  for (const [caller, keys] of Object.entries(callers)) {
    for (const key of keys ?? []) secrets.set(`${caller}.${key.kid}`, createSecretKey(Buffer.from(key.secret)))
  }
  return {
    verify(assertion, request) {
      if (assertion === undefined || assertion === '') return { rejection: 'SERVICE_ASSERTION_MISSING' }
      if (typeof assertion !== 'string' || assertion.length > MAX_ASSERTION_LENGTH) {
        return { rejection: 'SERVICE_ASSERTION_INVALID' }
      }
      const match = ASSERTION.exec(assertion)
      if (!match) return { rejection: 'SERVICE_ASSERTION_INVALID' }
      const [, caller = '', kid = '', exp = '', signature = ''] = match
      const secret = secrets.get(`${caller}.${kid}`)
      if (secret === undefined) return { rejection: 'SERVICE_ASSERTION_INVALID' }
      const given = Buffer.from(signature, 'base64url')
      const expected = mac(secret, assertion.slice(0, assertion.length - signature.length - 1), request)
      // 43 base64url characters carry 258 bits; the canonical form must round-trip exactly.
      if (given.length !== expected.length || given.toString('base64url') !== signature) {
        return { rejection: 'SERVICE_ASSERTION_INVALID' }
      }
      if (!timingSafeEqual(given, expected)) return { rejection: 'SERVICE_ASSERTION_INVALID' }
      if (Number(exp) * 1000 < now()) return { rejection: 'SERVICE_ASSERTION_EXPIRED' }
      return { caller: caller as ServiceCaller }
    },
  }
}
