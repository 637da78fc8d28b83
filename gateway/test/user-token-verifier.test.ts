import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEVELOPMENT_USER_TOKEN_SECRET, signUserToken } from '@stagepass/kit'
import { ManualClock } from '@stagepass/testkit'
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose'
import t from 'tap'
import { createUserTokenVerifier, type UserTokenCheck } from '../src/user-auth/user-token-verifier.js'

/**
 * The user-token check on its own: every way a token can be wrong, each key source (shared secret,
 * PEM public key, the provider's JWKS over real HTTP, rotated), and a provider that does not answer.
 */

const ISSUER = 'https://id.example.test/'
const AUDIENCE = 'stagepass-test'
const secretConfig = {
  USER_TOKEN_JWKS_URL: '',
  USER_TOKEN_PUBLIC_KEY: '',
  USER_TOKEN_SECRET: DEVELOPMENT_USER_TOKEN_SECRET,
  USER_TOKEN_ISSUER: ISSUER,
  USER_TOKEN_AUDIENCE: AUDIENCE,
}
const now = () => Math.floor(Date.now() / 1000)

type Key = Parameters<SignJWT['sign']>[0]
function token(key: Key, alg: string, claims: Record<string, unknown> = {}, kid?: string) {
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('42')
    .setIssuedAt()
    .setExpirationTime(now() + 600)
  if ('iss' in claims) jwt.setIssuer(claims.iss as string)
  if ('aud' in claims) jwt.setAudience(claims.aud as string)
  if ('sub' in claims) jwt.setSubject(claims.sub as string)
  if ('exp' in claims) jwt.setExpirationTime(claims.exp as number)
  return jwt.sign(key)
}

const secret = new TextEncoder().encode(DEVELOPMENT_USER_TOKEN_SECRET)
const userOf = (check: UserTokenCheck) => ('userId' in check ? check.userId : check.rejection)

t.test('shared secret: a good token names its user; every bad one is refused with its reason', async (t) => {
  const check = createUserTokenVerifier(secretConfig)
  t.equal(userOf(await check(await token(secret, 'HS256'))), 42)
  t.equal(userOf(await check(await signUserToken(secretConfig, 7))), 7, 'the development signer is accepted')
  t.equal(userOf(await check(await token(secret, 'HS256', { exp: now() - 5 }))), 'USER_TOKEN_EXPIRED')
  t.equal(userOf(await check(await token(secret, 'HS256', { aud: 'someone-else' }))), 'USER_TOKEN_INVALID')
  t.equal(userOf(await check(await token(secret, 'HS256', { iss: 'https://evil.test/' }))), 'USER_TOKEN_INVALID')
  const otherSecret = new TextEncoder().encode('a-different-secret-of-32-characters!!')
  t.equal(userOf(await check(await token(otherSecret, 'HS256'))), 'USER_TOKEN_INVALID', 'wrong key')
  for (const sub of ['0', '-1', 'alice', '9007199254740993', '1e3']) {
    t.equal(userOf(await check(await token(secret, 'HS256', { sub }))), 'USER_TOKEN_INVALID', `sub ${sub}`)
  }
  const good = await token(secret, 'HS256')
  const [header, payload] = good.split('.')
  const forgedPayload = Buffer.from(JSON.stringify({ sub: '43', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }))
  t.equal(
    userOf(await check(`${header}.${forgedPayload.toString('base64url')}.${good.split('.')[2]}`)),
    'USER_TOKEN_INVALID',
  )
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
  t.equal(userOf(await check(`${none}.${payload}.`)), 'USER_TOKEN_INVALID', 'alg none')
  t.equal(userOf(await check('garbage')), 'USER_TOKEN_INVALID')
})

t.test('public key: its signatures pass; an HS256 token signed with the public key text does not', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const pem = await exportSPKI(publicKey)
  const check = createUserTokenVerifier({ ...secretConfig, USER_TOKEN_PUBLIC_KEY: pem })
  t.equal(userOf(await check(await token(privateKey, 'ES256'))), 42)
  t.equal(userOf(await check(await token(new TextEncoder().encode(pem), 'HS256'))), 'USER_TOKEN_INVALID')
  t.equal(userOf(await check(await token(secret, 'HS256'))), 'USER_TOKEN_INVALID', 'the shared secret no longer counts')
})

t.test('JWKS: keys fetched over HTTP, a rotated key picked up, an unreachable provider is 503', async (t) => {
  const first = await generateKeyPair('RS256')
  const second = await generateKeyPair('RS256')
  const jwk = async (key: Parameters<typeof exportJWK>[0], kid: string): Promise<JWK> => ({
    ...(await exportJWK(key)),
    kid,
    alg: 'RS256',
  })
  let keys: JWK[] = [await jwk(first.publicKey, 'k1')]
  let fetches = 0
  const server: Server = createServer((_req, res) => {
    fetches++
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  // No cooldown between fetches here, so the rotation below needs no wait.
  const check = createUserTokenVerifier({ ...secretConfig, USER_TOKEN_JWKS_URL: url }, { jwksCooldownMs: 0 })

  const signedByFirst = await token(first.privateKey, 'RS256', {}, 'k1')
  t.equal(userOf(await check(signedByFirst)), 42)
  t.equal(userOf(await check(await token(first.privateKey, 'RS256', { sub: '43' }, 'k1'))), 43)
  t.equal(fetches, 1, 'the key set is fetched once and cached')

  // The provider rotates: a token with the new kid makes the verifier fetch the set again.
  keys = [await jwk(second.publicKey, 'k2'), await jwk(first.publicKey, 'k1')]
  t.equal(userOf(await check(await token(second.privateKey, 'RS256', { sub: '44' }, 'k2'))), 44)
  t.equal(userOf(await check(await token(second.privateKey, 'RS256', {}, 'k1'))), 'USER_TOKEN_INVALID', 'kid lies')

  server.close()
  await once(server, 'close')
  const unreachable = createUserTokenVerifier({ ...secretConfig, USER_TOKEN_JWKS_URL: url })
  await t.rejects(
    Promise.resolve(unreachable(signedByFirst)),
    { name: 'IdentityProviderUnavailable' },
    'no keys, no verdict: the caller answers 503 rather than guess',
  )
})

t.test(
  "a token's expiry, by the gateway's clock: good to the millisecond before exp, refused from exp on",
  async (t) => {
    const clock = new ManualClock({ start: Date.UTC(2026, 10, 30, 12, 0, 0) })
    const check = createUserTokenVerifier(secretConfig, { clock })
    const signed = await signUserToken(secretConfig, 7, 60, clock)
    const exp = clock.now() + 60_000

    clock.set(exp - 1)
    t.equal(userOf(await check(signed)), 7, 'exp - 1 ms: verified')
    t.equal(userOf(await check(signed)), 7, 'exp - 1 ms: remembered')
    clock.set(exp)
    t.equal(userOf(await check(signed)), 'USER_TOKEN_EXPIRED', 'exp: the remembered verdict is dropped')
    t.equal(userOf(await check(signed)), 'USER_TOKEN_EXPIRED', 'exp: and verifying afresh refuses it too')
    clock.set(exp + 1)
    t.equal(userOf(await check(signed)), 'USER_TOKEN_EXPIRED', 'exp + 1 ms')

    const fresh = createUserTokenVerifier(secretConfig, { clock })
    clock.set(exp - 1)
    t.equal(userOf(await fresh(signed)), 7, 'a verifier that never saw it accepts it at exp - 1 ms')
    clock.set(exp)
    t.equal(userOf(await fresh(signed)), 'USER_TOKEN_EXPIRED', 'and refuses it at exp')
  },
)
