import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  assertSignedInUser,
  bearerToken,
  type QueueTokenSigner,
  signedInUserOf,
  TokenExpiredError,
  TokenInvalidError,
  TokenMissingError,
  TokenRevokedError,
} from '@stagepass/kit'
import { ProofInvalidError, TokenNotFoundError } from '../errors.js'
import { statusPolls, tokensIssued } from '../metrics.js'
import { pollAfterSeconds, preQueuePollAfterSeconds } from '../poll-interval.js'
import { type ChallengeClaims, type ChallengeSigner, solvesChallenge } from '../proof-of-work.js'
import { queuePublicApi } from '../public-api.js'
import type { QueueStore, Ticket } from '../store.js'

export interface PublicRoutesOptions {
  store: QueueStore
  signer: QueueTokenSigner
  challenges: ChallengeSigner
  challengeTtlMs: number
}

/**
 * The in-process half of checking a proof of work: the challenge's signature, its user and the
 * solution (one hash). Expiry, difficulty and single use are the JOIN script's.
 */
function verifiedProof(
  challenges: ChallengeSigner,
  userId: number,
  proof: { challenge: string; nonce: string },
): ChallengeClaims {
  const claims = challenges.verify(proof.challenge)
  if (!claims) throw new ProofInvalidError('the challenge was not issued by this queue or was altered')
  if (claims.userId !== undefined && claims.userId !== userId) {
    throw new ProofInvalidError('the challenge was issued to another user')
  }
  if (!solvesChallenge(proof.challenge, proof.nonce, claims.difficulty)) {
    throw new ProofInvalidError('the nonce does not solve the challenge')
  }
  return claims
}

export const publicRoutes: FastifyPluginAsyncTypebox<PublicRoutesOptions> = async (
  fastify,
  { store, signer, challenges, challengeTtlMs },
) => {
  const { abandonAfterSeconds } = store.defaults
  const view = (ticket: Ticket) => {
    const token = signer.sign(ticket.userId, ticket.tokenId)
    if (ticket.status === 'WAITING' && ticket.opensAt !== undefined) {
      // In the pre-queue: no place yet, only the opening to wait for.
      const untilOpening = Math.max(Math.ceil((ticket.opensAt - ticket.now) / 1000), 0)
      return {
        userId: ticket.userId,
        token,
        status: ticket.status,
        queueOrder: 0,
        remainingTime: untilOpening,
        estimatedWaitSeconds: untilOpening,
        opensAt: new Date(ticket.opensAt).toISOString(),
        preQueue: true,
        pollAfterSeconds: preQueuePollAfterSeconds(untilOpening, ticket.tokenId, abandonAfterSeconds),
      }
    }
    if (ticket.status === 'ACTIVE') {
      return {
        userId: ticket.userId,
        token,
        status: ticket.status,
        queueOrder: 0,
        remainingTime: Math.max(Math.ceil((ticket.expiresAt - ticket.now) / 1000), 0),
        expiresAt: new Date(ticket.expiresAt).toISOString(),
      }
    }
    const wait = store.estimatedWaitSeconds(ticket.queueOrder)
    return {
      userId: ticket.userId,
      token,
      status: ticket.status,
      queueOrder: ticket.queueOrder,
      remainingTime: wait,
      estimatedWaitSeconds: wait,
      pollAfterSeconds: pollAfterSeconds(wait, abandonAfterSeconds),
    }
  }

  fastify.route({
    ...queuePublicApi.challenge,
    handler: async (request) => {
      const { difficulty, now } = await store.challengeTerms()
      const issued = challenges.issue({ difficulty, now, ttlMs: challengeTtlMs, userId: signedInUserOf(request) })
      return { data: { ...issued, expiresAt: new Date(issued.expiresAt).toISOString() } }
    },
  })

  fastify.route({
    ...queuePublicApi.join,
    handler: async (request) => {
      const { userId, proof } = request.body
      assertSignedInUser(request, userId)
      const claims = proof && verifiedProof(challenges, userId, proof)
      const { ticket, joined } = await store.joinLine(userId, claims)
      if (joined) {
        tokensIssued.inc()
        request.log.info({ userId, tokenId: ticket.tokenId }, 'joined the line')
      }
      return { data: view(ticket) }
    },
  })

  fastify.route({
    ...queuePublicApi.statusOfUser,
    handler: async (request) => {
      const { userId } = request.params
      assertSignedInUser(request, userId)
      statusPolls.inc({ by: 'user' })
      const ticket = await store.statusOf(userId)
      if (!ticket) throw new TokenNotFoundError(userId)
      return { data: view(ticket) }
    },
  })

  fastify.route({
    ...queuePublicApi.statusOfToken,
    handler: async (request) => {
      // With user tokens on, Authorization carries the user token: the answer is the signed-in user's.
      const signedIn = signedInUserOf(request)
      if (signedIn !== undefined) {
        statusPolls.inc({ by: 'user' })
        const ticket = await store.statusOf(signedIn)
        if (!ticket) throw new TokenNotFoundError(signedIn)
        return { data: view(ticket) }
      }
      const token = bearerToken(request.headers.authorization)
      if (!token) throw new TokenMissingError()
      const claims = signer.verify(token)
      if (!claims) throw new TokenInvalidError()
      statusPolls.inc({ by: 'token' })
      const state = await store.tokenStatus(claims.userId, claims.tokenId)
      if (!state) throw new TokenExpiredError()
      if (state.status === 'REVOKED') throw new TokenRevokedError()
      return { data: view(state) }
    },
  })
}
