import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { QueueTokenKey } from '@stagepass/kit'

/**
 * Proof of work on joining: the client fetches a signed challenge and finds a nonce such that
 * SHA-256(challenge + ':' + nonce) starts with `difficulty` zero bits. Checking a solution is one
 * hash plus the challenge's HMAC, in process; expiry, the current difficulty and single use are
 * checked by the JOIN script in Redis (see lua.ts).
 *
 * Challenge: `p1.<kid>.<id>.<difficulty>.<expiresAt ms>.<userId, 0 = any>.<signature>`, the signature
 * being HMAC-SHA256 over the rest (base64url) under the queue token keys: the same kid and rotation
 * as queue tokens. The `p1.` prefix keeps the two kinds of signed strings apart.
 */

const VERSION = 'p1'
const CHALLENGE =
  /^p1\.([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{22})\.([0-9]{1,2})\.([1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])$/
/** Longest a challenge can be; also the schema's bound. */
export const MAX_CHALLENGE_LENGTH = 160
/** Hardest difficulty operators may set: about 2^30 hashes, minutes in a browser. */
export const MAX_DIFFICULTY = 30

export interface ChallengeClaims {
  /** The random id that makes the challenge single use. */
  id: string
  difficulty: number
  expiresAt: number
  /** The user the challenge was issued to, or undefined when it was issued to anyone. */
  userId: number | undefined
}

export interface IssuedChallenge {
  challenge: string
  difficulty: number
  expiresAt: number
}

export interface ChallengeSigner {
  issue(terms: { difficulty: number; now: number; ttlMs: number; userId?: number | undefined }): IssuedChallenge
  /** The claims of a challenge this queue signed (any listed key); undefined otherwise. */
  verify(challenge: string): ChallengeClaims | undefined
}

/**
 * HMAC-SHA256 (RFC 2104) under one secret, from two one-shot hashes over precomputed pads.
 * `createHmac` sets up an object per call (~6 µs here), which alone would exceed the 10 µs a join
 * may spend verifying its proof; this costs ~2.5 µs and gives the same MAC (see the tests).
 */
export function hmacSha256(secret: string): (message: string) => Buffer {
  let key = Buffer.from(secret)
  if (key.length > 64) key = hash('sha256', key, 'buffer')
  const block = Buffer.alloc(64)
  key.copy(block)
  const inner = Buffer.from(block.map((byte) => byte ^ 0x36))
  const outer = Buffer.from(block.map((byte) => byte ^ 0x5c))
  return (message) =>
    hash(
      'sha256',
      Buffer.concat([outer, hash('sha256', Buffer.concat([inner, Buffer.from(message)]), 'buffer')]),
      'buffer',
    )
}

export function createChallengeSigner(keys: readonly QueueTokenKey[]): ChallengeSigner {
  const [signing] = keys
  if (!signing) throw new Error('at least one queue token key is required')
  const macs = new Map(keys.map((k) => [k.kid, hmacSha256(k.secret)]))
  const signingMac = macs.get(signing.kid) as (message: string) => Buffer

  return {
    issue({ difficulty, now, ttlMs, userId }) {
      const id = randomBytes(16).toString('base64url')
      const expiresAt = now + ttlMs
      const payload = `${VERSION}.${signing.kid}.${id}.${difficulty}.${expiresAt}.${userId ?? 0}`
      return { challenge: `${payload}.${signingMac(payload).toString('base64url')}`, difficulty, expiresAt }
    },
    verify(challenge) {
      if (challenge.length > MAX_CHALLENGE_LENGTH) return undefined
      const match = CHALLENGE.exec(challenge)
      if (!match) return undefined
      const [, kid = '', id = '', difficulty = '', expiresAt = '', user = '', signature = ''] = match
      const mac = macs.get(kid)
      if (mac === undefined) return undefined
      // The pattern admits only the canonical spelling of 32 bytes (the last character's two spare
      // bits zero), so one signature has one text.
      const expected = mac(challenge.slice(0, challenge.length - signature.length - 1))
      if (!timingSafeEqual(Buffer.from(signature, 'base64url'), expected)) return undefined
      const userId = Number(user)
      if (!Number.isSafeInteger(userId) || Number(difficulty) > MAX_DIFFICULTY) return undefined
      return { id, difficulty: Number(difficulty), expiresAt: Number(expiresAt), userId: userId || undefined }
    },
  }
}

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8
      continue
    }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/** Whether `nonce` solves `challenge` at `difficulty`: the server's one hash. */
export function solvesChallenge(challenge: string, nonce: string, difficulty: number): boolean {
  return leadingZeroBits(hash('sha256', `${challenge}:${nonce}`, 'buffer')) >= difficulty
}

/**
 * Finds a nonce for a challenge (a decimal counter): what a client does before joining. Expected
 * work is 2^difficulty hashes.
 */
export function solveChallenge(challenge: string, difficulty: number): string {
  for (let nonce = 0; ; nonce++) {
    const candidate = String(nonce)
    if (solvesChallenge(challenge, candidate, difficulty)) return candidate
  }
}
