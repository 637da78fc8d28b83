import type { AddressInfo } from 'node:net'
import { type ApiClient, apiClient } from './http.js'

interface Listenable {
  listen(options: { host: string; port: number }): Promise<unknown>
  close(): Promise<unknown>
  server: { address(): AddressInfo | string | null }
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Serves a Fastify app built in the test on a real loopback port; closed when the test ends. */
export async function serveOnFreePort<A extends Listenable>(
  t: Teardown,
  app: A,
): Promise<{ app: A; api: ApiClient; port: number }> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const api = apiClient(`http://127.0.0.1:${port}`)
  t.teardown(async () => {
    await api.close()
    await app.close()
  })
  return { app, api, port }
}
