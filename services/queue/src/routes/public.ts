import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  assertSignedInUser,
  bearerToken,
  type QueueTokenSigner,
  responses,
  signedInUserOf,
  TokenExpiredError,
  TokenInvalidError,
  TokenMissingError,
} from '@stagepass/kit'
import { TokenNotFoundError } from '../errors.js'
import { statusPolls, tokensIssued } from '../metrics.js'
import { JoinBody, QueueTicket, UserParams } from '../schemas.js'
import type { QueueStore, Ticket } from '../store.js'

export interface PublicRoutesOptions {
  store: QueueStore
  signer: QueueTokenSigner
}

export const publicRoutes: FastifyPluginAsyncTypebox<PublicRoutesOptions> = async (fastify, { store, signer }) => {
  const view = (ticket: Ticket) => {
    const token = signer.sign(ticket.userId, ticket.tokenId)
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
    }
  }

  fastify.post('/queue/tokens', { schema: { body: JoinBody, response: responses(QueueTicket) } }, async (request) => {
    const { userId } = request.body
    assertSignedInUser(request, userId)
    const { ticket, joined } = await store.joinLine(userId)
    if (joined) {
      tokensIssued.inc()
      request.log.info({ userId, tokenId: ticket.tokenId }, 'joined the line')
    }
    return { data: view(ticket) }
  })

  fastify.get(
    '/queue/tokens/status/:userId',
    { schema: { params: UserParams, response: responses(QueueTicket) } },
    async (request) => {
      const { userId } = request.params
      assertSignedInUser(request, userId)
      statusPolls.inc({ by: 'user' })
      const ticket = await store.statusOf(userId)
      if (!ticket) throw new TokenNotFoundError(userId)
      return { data: view(ticket) }
    },
  )

  fastify.get('/queue/tokens/status', { schema: { response: responses(QueueTicket) } }, async (request) => {
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
    const ticket = await store.statusOf(claims.userId, claims.tokenId)
    if (!ticket) throw new TokenExpiredError()
    return { data: view(ticket) }
  })
}
