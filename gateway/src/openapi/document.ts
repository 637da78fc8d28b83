import swagger from '@fastify/swagger'
import type { TSchema } from '@sinclair/typebox'
import { bookingPublicApi } from '@stagepass/booking'
import { concertPublicApi } from '@stagepass/concert'
import { mergeRefusals, QUEUE_TOKEN_REFUSALS, type Refusals, refusalsOf, responses } from '@stagepass/kit'
import { pointPublicApi } from '@stagepass/point'
import { queuePublicApi } from '@stagepass/queue'
import Fastify from 'fastify'
import { routeEntryFor } from '../guard/guarded-routes.js'
import { RATE_LIMIT_REFUSALS } from '../rate-limit/rate-limiter.js'
import { ROUTE_TABLE, type RouteEntry } from '../route-table.js'
import { PROXY_REFUSALS } from '../split.js'
import { USER_TOKEN_REFUSALS } from '../user-auth/user-auth-plugin.js'

/** A public route as a context declares it (`<context>PublicApi`): the same object its route is made from. */
export interface PublicRoute {
  method: string
  url: string
  schema: { response: Readonly<Record<string, unknown>> } & Record<string, unknown>
}

/** Every context's public routes: the only source of the document. */
export const PUBLIC_ROUTES: readonly PublicRoute[] = [
  pointPublicApi,
  queuePublicApi,
  concertPublicApi,
  bookingPublicApi,
]
  .flatMap((api) => Object.values(api))
  .map((route) => route as unknown as PublicRoute)

/** The parts of the generated document that are read or completed here. */
export interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, OpenApiOperation>>
}
export interface OpenApiOperation {
  operationId?: string
  parameters?: Array<{ in: string; required?: boolean; schema?: { default?: unknown } }>
  responses: Record<string, { description?: string; headers?: unknown; content?: Record<string, { schema: unknown }> }>
}

/**
 * What the gateway itself can answer on a route, whatever the mode (one document for both): a context
 * failing behind it (split), the abuse limits, user tokens (USER_AUTH=jwt) and, on guarded routes, the
 * queue token.
 */
function edgeRefusals(entry: RouteEntry): Refusals {
  return mergeRefusals(
    PROXY_REFUSALS,
    RATE_LIMIT_REFUSALS,
    USER_TOKEN_REFUSALS,
    entry.guarded ? QUEUE_TOKEN_REFUSALS : {},
  )
}

const RETRY_AFTER = { description: 'Seconds to wait before trying again', schema: { type: 'integer' } }
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { description: 'Requests allowed in the window', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
}

const DESCRIPTION = `The public API of stagepass, served by its gateway in either mode (split or monolith).
Success is HTTP 200 with \`{"data": …}\`; every refusal has the shape \`{statusCode, code, error, message}\`,
its \`code\` one of those listed for its status. Guarded routes take the queue token as
\`Authorization: Bearer <token>\`; with user tokens on (USER_AUTH=jwt), \`/points\` and \`/queue\` take the
user token there instead. A route's 429 and user-token answers occur only where those are switched on,
its 502/504 only in split mode.`

/**
 * Builds the public OpenAPI 3.1 document from the contexts' public route declarations, with the
 * gateway's own answers on each route. The routes are declared on a Fastify instance that never
 * listens, so @fastify/swagger turns exactly what the contexts validate and serialize with into the
 * document. A declared route outside the route table is a defect: the gateway would not route it.
 */
export async function buildPublicDocument(routes: readonly PublicRoute[] = PUBLIC_ROUTES): Promise<OpenApiDocument> {
  const app = Fastify({ logger: false })
  // The schemas are only read here: nothing is validated or serialized.
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'stagepass',
        version: '1.0.0',
        description: DESCRIPTION,
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      servers: [{ url: '/', description: 'the gateway that serves this document' }],
      tags: [
        { name: 'points', description: 'Prepaid points (no queue token)' },
        { name: 'queue', description: 'The waiting line (no queue token)' },
        { name: 'concerts', description: 'The catalog (ACTIVE queue token)' },
        { name: 'booking', description: 'Holds and payments (ACTIVE queue token)' },
      ],
      components: {
        securitySchemes: {
          queueToken: { type: 'http', scheme: 'bearer', description: 'An ACTIVE queue token (POST /queue/tokens)' },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'A user token (USER_AUTH=jwt)',
          },
        },
      },
    },
  })
  for (const route of routes) {
    const entry = routeEntryFor(route.url, ROUTE_TABLE)
    if (!entry) throw new Error(`${route.method} ${route.url} is declared public but the gateway does not route it`)
    const response = responses(
      (route.schema.response['200'] as { properties: { data: TSchema } }).properties.data,
      refusalsOf(route.schema.response),
      edgeRefusals(entry),
    )
    app.route({
      method: route.method as 'GET',
      url: route.url,
      schema: {
        ...route.schema,
        response,
        // Unguarded routes take no credential, or a user token where those are on.
        security: entry.guarded ? [{ queueToken: [] }] : [{}, { userToken: [] }],
      },
      handler: async () => undefined,
    })
  }
  await app.ready()
  const document = app.swagger() as unknown as OpenApiDocument
  await app.close()
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      describeRefusals(operation)
      optionalDefaults(operation)
    }
  }
  return document
}

/** A query parameter with a default may be left out: the route fills it in (TypeBox marks it required). */
function optionalDefaults(operation: OpenApiOperation) {
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false
  }
}

/** Each refusal's description names its codes; 429 and 503 say when to retry. */
function describeRefusals(operation: OpenApiOperation) {
  for (const [status, response] of Object.entries(operation.responses)) {
    const codes = (response.content?.['application/json']?.schema as { properties?: { code?: { enum?: string[] } } })
      ?.properties?.code?.enum
    if (status === '200') response.description = 'Success: the body is `{ data }`'
    if (!codes) continue
    response.description = codes.join(', ')
    if (status === '429') response.headers = { 'Retry-After': RETRY_AFTER, ...RATE_LIMIT_HEADERS }
    if (status === '503')
      response.headers = { 'Retry-After': { ...RETRY_AFTER, description: 'Sent with DATABASE_BUSY and QUEUE_FULL' } }
  }
}
