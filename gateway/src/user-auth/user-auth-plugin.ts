import {
  appendRouteHook,
  bearerToken,
  errorBody,
  queueUserOf,
  refusalsByStatus,
  tallyCounter,
  throttledWarning,
  USER_HEADER,
  type UserAuthConfig,
} from '@stagepass/kit'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { routeEntryFor } from '../guard/guarded-routes.js'
import type { RouteEntry } from '../route-table.js'
import {
  createUserTokenVerifier,
  IdentityProviderUnavailable,
  type UserTokenCheck,
  type UserTokenRejection,
} from './user-token-verifier.js'

/** The header that carries the user token beside a queue token on guarded routes. */
const USER_TOKEN_HEADER = 'x-user-token'

const MESSAGES: Record<UserTokenRejection | 'USER_MISMATCH' | 'IDENTITY_UNAVAILABLE', [number, string]> = {
  USER_TOKEN_MISSING: [401, 'a user token is required: Authorization: Bearer <user token>'],
  USER_TOKEN_INVALID: [401, 'the user token is not valid'],
  USER_TOKEN_EXPIRED: [401, 'the user token has expired'],
  USER_MISMATCH: [403, 'the user token and the queue token belong to different users'],
  IDENTITY_UNAVAILABLE: [503, 'the identity provider is unavailable'],
}
type Outcome = keyof typeof MESSAGES | 'SIGNED_IN'

/** What a route can answer about a user token, by status (the public document lists them). */
export const USER_TOKEN_REFUSALS = refusalsByStatus(
  Object.fromEntries(Object.entries(MESSAGES).map(([code, [status]]) => [code, status])),
)

const checks = tallyCounter('gateway_user_token_checks_total', 'User-token checks, by outcome', 'outcome', [
  'SIGNED_IN',
  ...(Object.keys(MESSAGES) as Array<keyof typeof MESSAGES>),
] as const)

export interface UserAuthPluginOptions {
  config: Pick<
    UserAuthConfig,
    | 'USER_TOKEN_JWKS_URL'
    | 'USER_TOKEN_PUBLIC_KEY'
    | 'USER_TOKEN_SECRET'
    | 'USER_TOKEN_ISSUER'
    | 'USER_TOKEN_AUDIENCE'
    | 'USER_TOKEN_ON_GUARDED'
  >
  routes: readonly RouteEntry[]
}

/**
 * User tokens (USER_AUTH=jwt). On the unguarded routes (points, queue) the user token is the
 * credential: its user is passed on in USER_HEADER, and each context refuses a `userId` in the
 * path or body that is not that user. On guarded routes the queue token stays the credential (it is
 * bound to its user); a user token sent beside it in X-User-Token must be the same user, and with
 * USER_TOKEN_ON_GUARDED=required it must be sent. Registered after the queue guard, so on guarded
 * routes this check runs once the guard has named the queue token's user.
 */
export const userAuthPlugin = fp<UserAuthPluginOptions>(
  async (fastify: FastifyInstance, { config, routes }) => {
    const checkUserToken = createUserTokenVerifier(config)
    const warnOutage = throttledWarning()

    const refuse = (reply: FastifyReply, outcome: keyof typeof MESSAGES) => {
      checks.add(outcome)
      const [status, message] = MESSAGES[outcome]
      reply.code(status).send(errorBody(status, outcome, message))
    }

    /** Applies a verdict: `accept` runs for a valid token; a refusal is answered here. */
    const settle = (
      request: FastifyRequest,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
      check: UserTokenCheck | Promise<UserTokenCheck>,
      accept: (userId: number) => Outcome,
    ) => {
      const apply = (verdict: UserTokenCheck) => {
        if ('rejection' in verdict) refuse(reply, verdict.rejection)
        else {
          const outcome = accept(verdict.userId)
          if (outcome === 'SIGNED_IN') checks.add(outcome)
          else refuse(reply, outcome)
        }
        done()
      }
      if (!(check instanceof Promise)) return apply(check)
      check.then(apply, (err) => {
        if (!(err instanceof IdentityProviderUnavailable)) return done(err)
        warnOutage(request.log, { err }, 'identity provider keys unavailable; user routes answer 503')
        refuse(reply, 'IDENTITY_UNAVAILABLE')
        done()
      })
    }

    const requireUserToken: onRequestHookHandler = (request, reply, done) => {
      const token = bearerToken(request.headers.authorization)
      if (!token) {
        refuse(reply, 'USER_TOKEN_MISSING')
        return done()
      }
      settle(request, reply, done, checkUserToken(token), (userId) => {
        request.headers[USER_HEADER] = String(userId)
        return 'SIGNED_IN'
      })
    }

    const matchQueueTokenUser: onRequestHookHandler = (request, reply, done) => {
      const token = request.headers[USER_TOKEN_HEADER]
      if (typeof token !== 'string' || token === '') {
        if (config.USER_TOKEN_ON_GUARDED === 'required') refuse(reply, 'USER_TOKEN_MISSING')
        return done()
      }
      settle(request, reply, done, checkUserToken(token), (userId) =>
        userId === queueUserOf(request) ? 'SIGNED_IN' : 'USER_MISMATCH',
      )
    }

    fastify.addHook('onRoute', (route) => {
      const entry = routeEntryFor(route.url, routes)
      if (!entry) return
      appendRouteHook(route, 'onRequest', entry.guarded ? matchQueueTokenUser : requireUserToken)
    })
  },
  { name: 'stagepass-user-auth', dependencies: ['stagepass-queue-guard'] },
)
