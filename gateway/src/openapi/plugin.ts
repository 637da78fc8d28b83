import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { buildPublicDocument } from './document.js'

/**
 * The public contract at `/openapi.json` and its API reference at `/docs` (Swagger UI, its assets
 * served from this process). The same document in both modes: it is built from the contexts' public
 * route declarations, not from whatever this process happens to route. Neither needs a token.
 */
export const publicDocumentPlugin = fp(
  async (fastify: FastifyInstance) => {
    const document = await buildPublicDocument()
    await fastify.register(swagger, { mode: 'static', specification: { document: document as never } })
    await fastify.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } })
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
  },
  { name: 'stagepass-public-document' },
)
