import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './generated/api.js'

/** The credentials a front end holds; either may be absent (user tokens off, not yet in line). */
export interface Credentials {
  /** The user token (USER_AUTH=jwt): the credential of /points and /queue. */
  userToken?: string
  /** The ACTIVE queue token: the credential of the catalog, holds and payments. */
  queueToken?: string
}

export interface ClientOptions {
  /** The gateway, e.g. `http://localhost:8080`; empty = the page's own origin. */
  baseUrl?: string
  /** Read before every request, so a token obtained later is used at once. */
  credentials?: () => Credentials
  fetch?: typeof globalThis.fetch
}

/** Paths whose credential is the queue token (the document's `queueToken` security); the others take the user token. */
const QUEUE_TOKEN_PREFIXES = ['/concerts', '/payment', '/reservations']

const isGuarded = (schemaPath: string) =>
  QUEUE_TOKEN_PREFIXES.some((prefix) => schemaPath === prefix || schemaPath.startsWith(`${prefix}/`))

/** A typed client of the public API: `client.GET('/concerts')`, with the right token on each route. */
export function createStagepassClient({ baseUrl = '', credentials = () => ({}), fetch }: ClientOptions = {}) {
  const client = createClient<paths>({ baseUrl, ...(fetch ? { fetch } : {}) })
  const authorization: Middleware = {
    onRequest({ request, schemaPath }) {
      const { userToken, queueToken } = credentials()
      if (isGuarded(schemaPath)) {
        if (queueToken) request.headers.set('authorization', `Bearer ${queueToken}`)
        if (userToken) request.headers.set('x-user-token', userToken)
      } else if (userToken) request.headers.set('authorization', `Bearer ${userToken}`)
      return request
    },
  }
  client.use(authorization)
  return client
}

export type StagepassClient = ReturnType<typeof createStagepassClient>
