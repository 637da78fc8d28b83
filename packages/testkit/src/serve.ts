import type { AddressInfo } from 'node:net'
import { type ApiClient, apiClient } from './http.js'

interface Listener {
  listen(options: { host: string; port: number }): Promise<unknown>
  close(): Promise<unknown>
  server: { address(): AddressInfo | string | null }
}

interface Listenable extends Listener {
  /** The operations server of a kit process (`/metrics`, `/health/ready`), served beside it. */
  operations?: Listener
}

interface Teardown {
  teardown(fn: () => unknown): void
}

async function listenOnFreePort(server: Listener): Promise<number> {
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  return typeof address === 'object' && address ? address.port : 0
}

/**
 * Serves a Fastify app built in the test on a real loopback port, and its operations server (when it
 * has one, as every `createServer` app does) on another: `ops` reads its metrics and readiness.
 * Both are closed when the test ends.
 */
export async function serveOnFreePort<A extends Listenable>(
  t: Teardown,
  app: A,
): Promise<{ app: A; api: ApiClient; port: number; ops: ApiClient; opsPort: number }> {
  const port = await listenOnFreePort(app)
  const opsPort = app.operations ? await listenOnFreePort(app.operations) : 0
  const api = apiClient(`http://127.0.0.1:${port}`)
  const ops = apiClient(`http://127.0.0.1:${opsPort}`, { connections: 16 })
  t.teardown(async () => {
    await api.close()
    await ops.close()
    await app.close()
  })
  return { app, api, port, ops, opsPort }
}
