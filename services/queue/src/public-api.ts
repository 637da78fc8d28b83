import {
  INVALID_BODY,
  INVALID_INPUT,
  mergeRefusals,
  NOT_SIGNED_IN_USER,
  type Refusals,
  responses,
} from '@stagepass/kit'
import { Challenge, JoinBody, QueueTicket, UserParams } from './schemas.js'

/** Every queue route: the queue's Redis cannot be reached. */
const QUEUE_STORE: Refusals = { 503: ['QUEUE_UNAVAILABLE'] }

/**
 * The queue context's public routes (see `responses` in the kit): its routes are declared from
 * these, the gateway's OpenAPI document is generated from them. `/admin/queue` is not here: it is never public.
 */
export const queuePublicApi = {
  challenge: {
    method: 'GET',
    url: '/queue/challenge',
    schema: {
      operationId: 'getJoinChallenge',
      tags: ['queue'],
      summary: 'A proof-of-work challenge to solve before joining the line (docs/queue.md)',
      response: responses(Challenge, QUEUE_STORE),
    },
  },
  join: {
    method: 'POST',
    url: '/queue/tokens',
    schema: {
      operationId: 'joinQueue',
      tags: ['queue'],
      summary: "Join the waiting line, or get one's place again (idempotent per user)",
      body: JoinBody,
      response: responses(
        QueueTicket,
        mergeRefusals(INVALID_BODY, { 400: ['PROOF_INVALID'] }),
        NOT_SIGNED_IN_USER,
        QUEUE_STORE,
        {
          409: ['PROOF_REPLAYED'],
          410: ['PROOF_EXPIRED'],
          428: ['PROOF_REQUIRED', 'PROOF_TOO_EASY'],
          503: ['QUEUE_FULL'],
        },
      ),
    },
  },
  statusOfUser: {
    method: 'GET',
    url: '/queue/tokens/status/:userId',
    schema: {
      operationId: 'getQueueStatus',
      tags: ['queue'],
      summary: "A user's place in line, or their active token's remaining time",
      params: UserParams,
      response: responses(QueueTicket, INVALID_INPUT, NOT_SIGNED_IN_USER, QUEUE_STORE, { 404: ['TOKEN_NOT_FOUND'] }),
    },
  },
  statusOfToken: {
    method: 'GET',
    url: '/queue/tokens/status',
    schema: {
      operationId: 'getQueueStatusOfToken',
      tags: ['queue'],
      summary: 'The place of the queue token sent as Bearer (or of the signed-in user, user tokens on)',
      response: responses(QueueTicket, QUEUE_STORE, {
        401: ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'],
        404: ['TOKEN_NOT_FOUND'],
      }),
    },
  },
} as const
