import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** Where the web app's build lands (`packages/web/dist/app`), seen from this file's build (`gateway/dist/src`). */
export const WEB_APP_DIR = fileURLToPath(new URL('../../../packages/web/dist/app/', import.meta.url))

/**
 * The waiting-room web app (packages/web) at `/`, its files served as built. Only the files the build
 * wrote get a route (no wildcard), so any other path still gets the API's 404 with its error shape.
 * A gateway started without the build (a deployment of the API only) serves no page and says so.
 */
export async function registerWebApp(fastify: FastifyInstance, root = WEB_APP_DIR) {
  if (!existsSync(root)) {
    fastify.log.info(`no web app at ${root} (build packages/web to serve it at /)`)
    return
  }
  await fastify.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      decorateReply: false,
      index: 'index.html',
    })
  })
}
