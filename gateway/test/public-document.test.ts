import { createConfig, lintFromString } from '@redocly/openapi-core'
import Fastify from 'fastify'
import t from 'tap'
import { corsOrigins, DEVELOPMENT_WEB_ORIGIN } from '../src/cors.js'
import { buildPublicDocument } from '../src/openapi/document.js'
import { undocumentedRoutesPlugin } from '../src/openapi/undocumented-routes.js'
import { ROUTE_TABLE } from '../src/route-table.js'
import { contractViolations } from './e2e/public-contract.js'

const document = await buildPublicDocument()

t.test("the public document passes Redocly's recommended rules with no error or warning", async (t) => {
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: 'openapi.json',
    config: await createConfig({ extends: ['recommended'] }),
  })
  t.same(
    problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`),
    [],
  )
})

t.test('a guarded route documents what the queue-token guard answers; an open one does not', async (t) => {
  const pay = document.paths['/payment/pay']?.post
  const codes = (status: string, operation = pay) =>
    (
      operation?.responses[status]?.content?.['application/json']?.schema as {
        properties: { code: { enum: string[] } }
      }
    )?.properties.code.enum ?? []
  for (const code of ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED']) {
    t.ok(codes('401').includes(code), code)
  }
  t.ok(codes('403').includes('TOKEN_NOT_ACTIVE'))
  t.ok(codes('503').includes('QUEUE_UNAVAILABLE'))
  t.same(codes('429'), ['RATE_LIMITED'])
  t.same(codes('410'), ['RESERVATION_EXPIRED'])
  const charge = document.paths['/points/charge']?.put
  t.notOk(codes('403', charge).includes('TOKEN_NOT_ACTIVE'), 'points take no queue token')
})

t.test('a response the document does not allow is reported: unknown status, wrong body', async (t) => {
  const seen = (method: string, path: string, status: number, body: unknown) => ({
    baseUrl: 'http://gateway',
    headers: {},
    method,
    path,
    status,
    body,
  })
  const allowed = seen('GET', '/points/current/7?x=1', 200, { data: { userId: 7, currentPoints: 0 } })
  t.same(contractViolations(document, [allowed, seen('OPTIONS', '/payment/pay', 204, '')]), [])
  t.same(contractViolations(document, [seen('GET', '/points/current/7', 418, {})]), [
    'GET /points/current/7 → 418: status not listed for GET /points/current/{userId}',
  ])
  const [missingField] = contractViolations(document, [seen('GET', '/points/current/7', 200, { data: { userId: 7 } })])
  t.match(missingField, /currentPoints/)
  const refusal = (status: number, code: string) =>
    seen('GET', '/points/current/7', status, { statusCode: status, code, error: 'Refused', message: code })
  t.match(contractViolations(document, [refusal(409, 'SEAT_UNAVAILABLE')]), [/status not listed/])
  t.match(contractViolations(document, [refusal(403, 'SEAT_NOT_FOUND')]), [
    /code must be equal to one of the allowed values/,
  ])
  t.same(contractViolations(document, [seen('POST', '/points/refund', 200, { data: {} })]), [
    'POST /points/refund → 200: no such operation in the document',
  ])
})

t.test('a context route the gateway routes but the document lacks stops the monolith from starting', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(undocumentedRoutesPlugin, { routes: ROUTE_TABLE })
  app.get('/concerts/:concertId/secret-seats', async () => ({}))
  app.get('/health/live', async () => ({}))
  await t.rejects(
    async () => app.ready(),
    /routes missing from the public document: GET \/concerts\/:concertId\/secret-seats$/,
  )

  const documented = Fastify({ logger: false })
  await documented.register(undocumentedRoutesPlugin, { routes: ROUTE_TABLE })
  documented.get('/concerts/:concertId/available-dates', async () => ({}))
  await t.resolves(async () => documented.ready(), 'a declared route starts')
  await documented.close()
})

t.test('CORS_ORIGINS: none in production unless listed, the web app in development', async (t) => {
  t.same(corsOrigins({ CORS_ORIGINS: 'auto', NODE_ENV: 'development' }), [DEVELOPMENT_WEB_ORIGIN])
  t.same(corsOrigins({ CORS_ORIGINS: 'auto', NODE_ENV: 'production' }), [])
  t.same(corsOrigins({ CORS_ORIGINS: '', NODE_ENV: 'development' }), [])
  t.same(corsOrigins({ CORS_ORIGINS: 'https://a.example,https://b.example', NODE_ENV: 'production' }), [
    'https://a.example',
    'https://b.example',
  ])
})
